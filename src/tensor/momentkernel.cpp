#include "tensor/momentkernel.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace ckpt::tensor
{

void Moments::merge(const Moments& o)
{
    // Chan et al.: combine two (count, mean, M2) triples without losing precision to cancellation.
    if (o.finite > 0) {
        if (finite == 0) {
            mean = o.mean;
            m2 = o.m2;
        } else {
            const double na = static_cast<double>(finite);
            const double nb = static_cast<double>(o.finite);
            const double n = na + nb;
            const double delta = o.mean - mean;
            mean += delta * (nb / n);
            m2 += o.m2 + delta * delta * (na * nb / n);
        }
        min = std::min(min, o.min);
        max = std::max(max, o.max);
    }
    finite += o.finite;
    zeros += o.zeros;
    nan += o.nan;
    posinf += o.posinf;
    neginf += o.neginf;
}

namespace
{

// Values per block: small enough to stay in L1 for the second (deviation) pass, large enough that the
// per-block merge costs nothing. Lanes are independent accumulators the compiler can keep in vectors.
constexpr size_t kBlock = 4096;
constexpr size_t kLanes = 8;

template <class T> Moments blockMoments(const T* x, size_t n)
{
    constexpr T kMax = std::numeric_limits<T>::max();
    constexpr T kInf = std::numeric_limits<T>::infinity();
    double sum[kLanes] = {};
    T lo[kLanes];
    T hi[kLanes];
    uint32_t fin[kLanes] = {}, zer[kLanes] = {}, nan[kLanes] = {}, pinf[kLanes] = {}, ninf[kLanes] = {};
    std::fill(lo, lo + kLanes, kInf);
    std::fill(hi, hi + kLanes, -kInf);
    const size_t full = n - n % kLanes;
    for (size_t i = 0; i < full; i += kLanes) {
        for (size_t l = 0; l < kLanes; ++l) {
            const T v = x[i + l];
            const bool f = std::fabs(v) <= kMax; // false for NaN and both infinities
            fin[l] += f;
            zer[l] += v == T(0);
            nan[l] += v != v;
            pinf[l] += v == kInf;
            ninf[l] += v == -kInf;
            sum[l] += f ? static_cast<double>(v) : 0.0;
            lo[l] = (f && v < lo[l]) ? v : lo[l];
            hi[l] = (f && v > hi[l]) ? v : hi[l];
        }
    }
    for (size_t i = full; i < n; ++i) {
        const T v = x[i];
        const bool f = std::fabs(v) <= kMax;
        fin[0] += f;
        zer[0] += v == T(0);
        nan[0] += v != v;
        pinf[0] += v == kInf;
        ninf[0] += v == -kInf;
        sum[0] += f ? static_cast<double>(v) : 0.0;
        lo[0] = (f && v < lo[0]) ? v : lo[0];
        hi[0] = (f && v > hi[0]) ? v : hi[0];
    }
    Moments m;
    double total = 0.0;
    for (size_t l = 0; l < kLanes; ++l) {
        m.finite += fin[l];
        m.zeros += zer[l];
        m.nan += nan[l];
        m.posinf += pinf[l];
        m.neginf += ninf[l];
        total += sum[l];
        m.min = std::min(m.min, static_cast<double>(lo[l]));
        m.max = std::max(m.max, static_cast<double>(hi[l]));
    }
    if (m.finite == 0) return m;
    m.mean = total / static_cast<double>(m.finite);
    // Second pass while the block is still in cache: deviations from the block mean, not sum of squares,
    // so a large mean does not swallow a small spread.
    double dev[kLanes] = {};
    for (size_t i = 0; i < full; i += kLanes) {
        for (size_t l = 0; l < kLanes; ++l) {
            const T v = x[i + l];
            const double d = std::fabs(v) <= kMax ? static_cast<double>(v) - m.mean : 0.0;
            dev[l] += d * d;
        }
    }
    for (size_t i = full; i < n; ++i) {
        const T v = x[i];
        const double d = std::fabs(v) <= kMax ? static_cast<double>(v) - m.mean : 0.0;
        dev[0] += d * d;
    }
    for (size_t l = 0; l < kLanes; ++l)
        m.m2 += dev[l];
    return m;
}

template <class T> Moments moments(const T* x, size_t n)
{
    Moments total;
    for (size_t at = 0; at < n; at += kBlock)
        total.merge(blockMoments(x + at, std::min(kBlock, n - at)));
    return total;
}

template <class T> void histogram(const T* x, size_t n, double lo, double hi, int bins, uint64_t* counts)
{
    if (bins <= 0 || !(hi > lo)) return;
    constexpr T kMax = std::numeric_limits<T>::max();
    const double scale = static_cast<double>(bins) / (hi - lo);
    const int64_t last = bins - 1;
    for (size_t i = 0; i < n; ++i) {
        const T v = x[i];
        if (!(std::fabs(v) <= kMax)) continue;
        const double pos = (static_cast<double>(v) - lo) * scale;
        // Values outside [lo, hi] only come from a caller's range; clamp rather than write out of bounds.
        const int64_t bin = pos <= 0.0 ? 0 : std::min(static_cast<int64_t>(pos), last);
        ++counts[bin];
    }
}

} // namespace

Moments momentsOf(const float* data, size_t n)
{
    return moments(data, n);
}
Moments momentsOf(const double* data, size_t n)
{
    return moments(data, n);
}

void histogramOf(const float* data, size_t n, double lo, double hi, int bins, uint64_t* counts)
{
    histogram(data, n, lo, hi, bins, counts);
}

void histogramOf(const double* data, size_t n, double lo, double hi, int bins, uint64_t* counts)
{
    histogram(data, n, lo, hi, bins, counts);
}

void histogramRange(double min, double max, double* lo, double* hi)
{
    *lo = min;
    *hi = max;
    if (min == max) {
        *lo = min - 1.0;
        *hi = max + 1.0;
    }
}

void applyMoments(const Moments& m, TensorStats* stats)
{
    stats->finite = m.finite;
    stats->zeros = m.zeros;
    stats->nan = m.nan;
    stats->posinf = m.posinf;
    stats->neginf = m.neginf;
    stats->count = m.finite + m.nan + m.posinf + m.neginf;
    if (m.finite == 0) return; // min/max/mean/std stay NaN: there is nothing finite to describe
    stats->min = m.min;
    stats->max = m.max;
    stats->mean = m.mean;
    stats->std = std::sqrt(std::max(0.0, m.m2 / static_cast<double>(m.finite)));
}

} // namespace ckpt::tensor

#pragma once

#include <cstddef>
#include <cstdint>

#include "tensor/tensortypes.h"

// The CPU reductions behind the statistics: one fused pass for the moments and counts, one for the
// histogram. Plain C++ over contiguous float/double runs, so they are unit-tested without LibTorch; the
// module converts every dtype to one of these two and splits big runs across threads.
namespace ckpt::tensor
{

// Counts, min/max and mean/M2 of the finite values of data[0, n).
Moments momentsOf(const float* data, size_t n);
Moments momentsOf(const double* data, size_t n);

// Adds the finite values of data[0, n) to counts[bins] over [lo, hi]; hi lands in the last bin.
void histogramOf(const float* data, size_t n, double lo, double hi, int bins, uint64_t* counts);
void histogramOf(const double* data, size_t n, double lo, double hi, int bins, uint64_t* counts);

// The histogram range for finite values spanning [min, max], as torch.histc widens a single value.
void histogramRange(double min, double max, double* lo, double* hi);

// Fills stats' counts and moments from merged Moments (histogram untouched).
void applyMoments(const Moments& moments, TensorStats* stats);

} // namespace ckpt::tensor

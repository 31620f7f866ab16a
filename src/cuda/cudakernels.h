#pragma once

#include <cstdint>
#include <string>

#include "cuda/cudaapi.h"

namespace ckpt::tensor
{

// Moments of n host values, copied to `device` in pieces and reduced by GPU kernels.
bool cudaMoments(int device, const void* data, CudaElem elem, uint64_t n, Moments* out, std::string* error);
// Adds the finite host values to counts[bins] over [lo, hi], computed on `device`.
bool cudaHistogram(int device, const void* data, CudaElem elem, uint64_t n, double lo, double hi, int bins,
                   uint64_t* counts, std::string* error);

} // namespace ckpt::tensor

#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "tensor/tensortypes.h"

// The contract of the optional CUDA plugin (libckptcuda.so): device enumeration and the GPU reductions.
// It is a plugin of its own so that neither `ckpt info` nor the LibTorch module needs the CUDA runtime
// to start; both are loaded by ckpttensorloader on demand.
namespace ckpt::tensor
{

constexpr uint32_t kCudaModuleAbi = 1;

// Element types the kernels read directly from the mapped bytes; everything else is converted to
// Float32 or Float64 on the CPU first.
enum class CudaElem : int { Float32, Float64, Float16, BFloat16 };

struct CudaModuleApi {
    uint32_t abi;
    // Devices present; empty with *why set when there is no driver or no GPU (a normal answer).
    std::vector<CudaDevice> (*devices)(std::string* why);
    // Moments of n contiguous values at host address data, copied to the device in pieces.
    bool (*moments)(int device, const void* data, CudaElem elem, uint64_t n, Moments* out, std::string* error);
    // Adds the finite values to counts[bins] over [lo, hi].
    bool (*histogram)(int device, const void* data, CudaElem elem, uint64_t n, double lo, double hi, int bins,
                      uint64_t* counts, std::string* error);
};

} // namespace ckpt::tensor

#define CKPT_CUDA_MODULE_ENTRY "ckpt_cuda_module_api"
extern "C" const ckpt::tensor::CudaModuleApi* ckpt_cuda_module_api();

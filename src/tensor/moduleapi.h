#pragma once

#include <cstdint>
#include <string>

#include "core/result.h"
#include "tensor/tensortypes.h"

// The contract between ckpttensorloader and the dlopen()ed LibTorch module: one extern "C" entry point
// returns this table. Plain C++ types only, so no caller ever sees a LibTorch header.
namespace ckpt::tensor
{

struct CudaModuleApi;

// Bumped whenever the table or a type it passes changes shape; the loader refuses a mismatch.
constexpr uint32_t kTensorModuleAbi = 2; // 2: no TorchScript import (it ran torch::jit::load)

struct TensorModuleApi {
    uint32_t abi;
    const char* (*torchVersion)(); // LibTorch's version string
    // The CUDA plugin's table, or nullptr: the loader owns both plugins and introduces them.
    void (*setCuda)(const CudaModuleApi* cuda);
    Result<TensorStats> (*computeStats)(const RawTensor& tensor, const StatsOptions& options);
};

} // namespace ckpt::tensor

#define CKPT_TENSOR_MODULE_ENTRY "ckpt_tensor_module_api"
extern "C" const ckpt::tensor::TensorModuleApi* ckpt_tensor_module_api();

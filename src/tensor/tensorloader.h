#pragma once

#include <string>
#include <vector>

#include "core/analysis/architecturespec.h"
#include "core/model/checkpoint.h"
#include "core/progress.h"
#include "core/result.h"
#include "tensor/tensortypes.h"

// The tensor module's face for the CLI and the GUI. Nothing here includes LibTorch or CUDA: the first call
// that needs tensor math dlopen()s libckpttensor.so (and libckptcuda.so when it exists), so programs and
// paths that never ask for statistics never pay LibTorch's start-up (~0.7 s, ~300 shared libraries).
namespace ckpt::tensor
{

// Whether the LibTorch module can be loaded; *why says what failed ("tensor module not built", dlerror()).
bool tensorModuleAvailable(std::string* why = nullptr);
// LibTorch's version as the module reports it ("1.13.0"), or "" when the module is unavailable.
std::string tensorModuleVersion();

// Statistics and histogram of one tensor of a loaded checkpoint, from its mapped bytes.
Result<TensorStats> computeStats(const Checkpoint& checkpoint, int tensorIndex, const StatsOptions& options = {});
// Statistics of a raw, already bounds-checked tensor (tests, callers with their own buffers).
Result<TensorStats> computeStatsRaw(const RawTensor& tensor, const StatsOptions& options = {});
// The bounds-checked raw view of a checkpoint tensor (dense strided tensors only; quant params resolved).
Result<RawTensor> rawTensorFor(const Checkpoint& checkpoint, int tensorIndex);

// Every tensor: NaN/Inf, all-zero tensors, finite |values| above the threshold. Progress is in bytes;
// the cancel flag is polled between tensors and between chunks of a large one.
Result<HealthReport> scanHealth(const Checkpoint& checkpoint, const HealthOptions& options,
                                const Progress& progress = {});

// CUDA devices present (loads only the small CUDA plugin, never LibTorch); empty with *why set when the
// plugin is not built, the driver is missing or there is no GPU - a normal answer, not an error.
std::vector<CudaDevice> cudaDevices(std::string* why = nullptr);
// One line per device for `ckpt info --devices`: "cuda:0  NVIDIA H100 80GB HBM3  79.1 GiB  sm_90".
std::string describeCudaDevices();

// The name a user knows a tensor by: its key in a weight set (the main one first), else its path.
std::string tensorKey(const Checkpoint& checkpoint, int tensorIndex);

} // namespace ckpt::tensor

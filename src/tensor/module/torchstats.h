#pragma once

#include "core/result.h"
#include "tensor/tensortypes.h"

namespace ckpt::tensor
{

struct CudaModuleApi;

// Statistics of one raw tensor: LibTorch views the mapped bytes (from_blob with strides), converts chunk by
// chunk to float32/float64 (dequantizing, taking complex magnitudes), and the fused kernels reduce each
// chunk on the CPU, or on a CUDA device through `cuda` when the options ask for it.
Result<TensorStats> torchComputeStats(const RawTensor& tensor, const StatsOptions& options, const CudaModuleApi* cuda);

// Uses every core for intra-op work (LibTorch starts with one thread here).
void initTorchThreads();

} // namespace ckpt::tensor

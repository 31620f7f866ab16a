// The module's single exported symbol: the function table ckpttensorloader looks up after dlopen().
#include "tensor/moduleapi.h"

#include <torch/version.h>

#include <atomic>
#include <mutex>

#include "tensor/module/torchstats.h"

namespace ckpt::tensor
{
namespace
{

std::atomic<const CudaModuleApi*> g_cuda{nullptr};

const char* torchVersion()
{
    return TORCH_VERSION;
}

void setCuda(const CudaModuleApi* cuda)
{
    g_cuda.store(cuda);
}

Result<TensorStats> computeStats(const RawTensor& tensor, const StatsOptions& options)
{
    static std::once_flag threads;
    std::call_once(threads, initTorchThreads);
    return torchComputeStats(tensor, options, g_cuda.load());
}

const TensorModuleApi g_api = {kTensorModuleAbi, torchVersion, setCuda, computeStats};

} // namespace
} // namespace ckpt::tensor

extern "C" __attribute__((visibility("default"))) const ckpt::tensor::TensorModuleApi* ckpt_tensor_module_api()
{
    return &ckpt::tensor::g_api;
}

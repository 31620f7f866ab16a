// Device enumeration and the plugin's exported table. "No driver" and "no GPU" are ordinary answers.
#include <cuda_runtime.h>

#include "cuda/cudaapi.h"
#include "cuda/cudakernels.h"

namespace ckpt::tensor
{

namespace
{

std::vector<CudaDevice> devices(std::string* why)
{
    std::vector<CudaDevice> out;
    int count = 0;
    const cudaError_t status = cudaGetDeviceCount(&count);
    if (status == cudaErrorInsufficientDriver || status == cudaErrorNoDevice) {
        if (why) *why = status == cudaErrorNoDevice ? "no CUDA devices" : "no CUDA devices (no NVIDIA driver)";
        cudaGetLastError(); // clear the sticky error so later calls start clean
        return out;
    }
    if (status != cudaSuccess) {
        if (why) *why = std::string("no CUDA devices (") + cudaGetErrorString(status) + ")";
        cudaGetLastError();
        return out;
    }
    for (int i = 0; i < count; ++i) {
        cudaDeviceProp prop{};
        if (cudaGetDeviceProperties(&prop, i) != cudaSuccess) continue;
        CudaDevice d;
        d.index = i;
        d.name = prop.name;
        d.totalMemory = prop.totalGlobalMem;
        d.major = prop.major;
        d.minor = prop.minor;
        out.push_back(d);
    }
    if (why) *why = out.empty() ? "no CUDA devices" : "";
    return out;
}

const CudaModuleApi g_api = {kCudaModuleAbi, devices, cudaMoments, cudaHistogram};

} // namespace
} // namespace ckpt::tensor

extern "C" __attribute__((visibility("default"))) const ckpt::tensor::CudaModuleApi* ckpt_cuda_module_api()
{
    return &ckpt::tensor::g_api;
}

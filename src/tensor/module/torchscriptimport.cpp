// TorchScript architecture import: the one file that includes the JIT headers (they are the slowest to compile).
#include "tensor/module/torchscriptimport.h"

#include <torch/script.h>

#include <exception>

namespace ckpt::tensor
{

namespace
{

DType dtypeFor(at::ScalarType type)
{
    switch (type) {
    case at::kDouble:
        return DType::Float64;
    case at::kFloat:
        return DType::Float32;
    case at::kHalf:
        return DType::Float16;
    case at::kBFloat16:
        return DType::BFloat16;
    case at::kLong:
        return DType::Int64;
    case at::kInt:
        return DType::Int32;
    case at::kShort:
        return DType::Int16;
    case at::kChar:
        return DType::Int8;
    case at::kByte:
        return DType::UInt8;
    case at::kBool:
        return DType::Bool;
    case at::kComplexDouble:
        return DType::Complex128;
    case at::kComplexFloat:
        return DType::Complex64;
    case at::kComplexHalf:
        return DType::Complex32;
    case at::kQInt8:
        return DType::QInt8;
    case at::kQUInt8:
        return DType::QUInt8;
    case at::kQInt32:
        return DType::QInt32;
    case at::kQUInt4x2:
        return DType::QUInt4x2;
    case at::kQUInt2x4:
        return DType::QUInt2x4;
    default:
        return DType::Unknown;
    }
}

void collect(const torch::jit::Module& module, const std::string& prefix, ArchitectureSpec* spec)
{
    auto add = [&](const std::string& name, const at::Tensor& value) {
        ArchEntry entry;
        entry.key = prefix + name;
        entry.shape = value.sizes().vec();
        entry.dtype = dtypeFor(value.scalar_type());
        spec->entries.push_back(std::move(entry));
    };
    for (const auto& p : module.named_parameters(/*recurse=*/false))
        add(p.name, p.value);
    for (const auto& b : module.named_buffers(/*recurse=*/false))
        add(b.name, b.value);
    for (const auto& child : module.named_children())
        collect(child.value, prefix + child.name + ".", spec);
}

} // namespace

Result<ArchitectureSpec> torchImportTorchScript(const std::string& path)
{
    try {
        torch::jit::Module module = torch::jit::load(path, c10::Device(c10::kCPU));
        ArchitectureSpec spec;
        const size_t slash = path.find_last_of('/');
        spec.name = slash == std::string::npos ? path : path.substr(slash + 1);
        spec.source = "torchscript";
        collect(module, "", &spec);
        return spec;
    } catch (const std::exception& e) {
        // c10 errors carry a C++ backtrace after the first line; users get the sentence only.
        std::string what = e.what();
        what = what.substr(0, what.find('\n'));
        return makeError(Status::Unsupported, "not a loadable TorchScript archive: " + what);
    }
}

} // namespace ckpt::tensor

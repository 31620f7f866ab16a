#include "core/format/viewbounds.h"

#include "core/limits.h"

namespace ckpt
{

std::string viewProblem(TensorInfo& info, const StorageInfo& storage)
{
    if (info.shape.size() > limits::kMaxTensorRank)
        return "tensor rank " + std::to_string(info.shape.size()) + " is over the limit kMaxTensorRank";
    if (info.shape.size() != info.stride.size()) return "tensor size and stride have different lengths";
    if (info.offset < 0) return "tensor has a negative storage offset";
    uint64_t numel = 1, last = static_cast<uint64_t>(info.offset);
    for (size_t i = 0; i < info.shape.size(); ++i) {
        if (info.shape[i] < 0 || info.stride[i] < 0) return "tensor has a negative size or stride";
        uint64_t span = 0;
        if (__builtin_mul_overflow(numel, static_cast<uint64_t>(info.shape[i]), &numel) ||
            (info.shape[i] > 0 && (__builtin_mul_overflow(static_cast<uint64_t>(info.shape[i] - 1),
                                                          static_cast<uint64_t>(info.stride[i]), &span) ||
                                   __builtin_add_overflow(last, span, &last))))
            return "tensor element count overflows 64 bits";
    }
    if (__builtin_mul_overflow(numel, dtypeElementSize(info.dtype), &info.nbytes))
        return "tensor byte size overflows 64 bits";
    if (numel == 0) return {};
    if (!storage.available) return "storage '" + storage.key + "' bytes are not available";
    if (last >= storage.numel) return "tensor view reaches past the end of storage '" + storage.key + "'";
    return {};
}

} // namespace ckpt

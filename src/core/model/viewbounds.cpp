#include "core/model/viewbounds.h"

namespace ckpt
{

bool viewFitsStorage(const TensorInfo& view, const StorageInfo& storage)
{
    if (view.offset < 0 || view.shape.size() != view.stride.size()) return false;
    uint64_t last = static_cast<uint64_t>(view.offset), span = 0, numel = 1;
    for (size_t i = 0; i < view.shape.size(); ++i) {
        if (view.shape[i] < 0 || view.stride[i] < 0) return false;
        if (__builtin_mul_overflow(numel, static_cast<uint64_t>(view.shape[i]), &numel)) return false;
        if (view.shape[i] == 0) continue;
        if (__builtin_mul_overflow(static_cast<uint64_t>(view.shape[i] - 1), static_cast<uint64_t>(view.stride[i]),
                                   &span) ||
            __builtin_add_overflow(last, span, &last))
            return false;
    }
    if (numel == 0) return true;
    uint64_t endBytes = 0;
    return !__builtin_add_overflow(last, uint64_t{1}, &last) &&
           !__builtin_mul_overflow(last, dtypeElementSize(view.dtype), &endBytes) && endBytes <= storage.nbytes;
}

} // namespace ckpt

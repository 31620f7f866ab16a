#pragma once

#include <string>
#include <utility>
#include <vector>

#include "core/model/checkpoint.h"

namespace ckpt
{

// torch pickles a tensor subclass without storage of its own (a "wrapper subclass") as
// _rebuild_from_type_v2(_rebuild_wrapper_subclass, cls, (cls, dtype, size, stride, storage_offset, layout, device,
// requires_grad), state). ShardedTensor (torch.distributed._shard, 1.13+) and DTensor (torch.distributed._tensor,
// 2.x) are such subclasses: the call carries the global shape and dtype, the state the rank's local tensors and
// where they lie. Reading is inert: nothing is resolved to code, odd data becomes `problem`.
struct WrapperSubclassRebuild {
    std::string typeName; // "ShardedTensor", "DTensor", or module.name of another subclass
    bool known = false;   // ShardedTensor or DTensor: `value` describes it
    DType dtype = DType::Unknown;
    std::vector<int64_t> shape, stride;
    int64_t offset = 0;
    std::string location; // the device baked into the call ("cpu", "cuda:1")
    bool requiresGrad = false;
    ShardedValue value;
    // The local tensors to emit as components of the global one, in the order of value.local (component name,
    // the tensor rebuild node).
    std::vector<std::pair<std::string, const Value*>> localTensors;
    std::string problem; // why the call itself could not be read; empty when it was
};

// True for the global torch._utils._rebuild_wrapper_subclass.
bool isWrapperSubclassRebuild(const Value* function);

// Reads `_rebuild_from_type_v2`'s arguments (func, new_type, args, state) whose func is
// _rebuild_wrapper_subclass.
WrapperSubclassRebuild readWrapperSubclassRebuild(const ValueList<const Value*>& fromTypeArgs);

// FSDP names its flat parameters `flat_param` (torch 1.13) or `_flat_param` (2.x): the last key of `path`.
bool isFsdpFlatParamPath(const Path& path);

// Findings for the reader: ShardedTensor/DTensor values hold one rank's pieces; FSDP flat parameters cannot be split
// back into named parameters without the model.
void noteShardedValues(Checkpoint& doc);

} // namespace ckpt

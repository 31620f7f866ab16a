#pragma once

#include <string>

#include "core/model/checkpoint.h"

namespace ckpt::distributed
{

// Python 3.11+ pickles an Enum member as builtins.getattr(EnumClass, 'NAME'). DCP's .metadata does it for
// TensorProperties' memory format and DeepSpeed's optimizer states for ZeroStageEnum, which made the scan
// call every such file dangerous. When each getattr call reachable from `root` reads a listed member of one of
// those known enums (exact module, class and member name), or ShardedTensor's nested ProcessGroupState class, the
// getattr global of that pickle is re-classified as safe, with the reason, and its finding removed; any other use
// leaves the verdict as it was. Ordinary files get the same allowance (ShardedTensor values carry the same enum).
void acceptKnownEnumMembers(Checkpoint& doc, const Value* root);

// The value of a ZeroStageEnum as pickled: an int, REDUCE(ZeroStageEnum, (n,)) or getattr(ZeroStageEnum, name).
bool zeroStageValue(const Value* value, int64_t& out);

} // namespace ckpt::distributed

#pragma once

#include "core/edit/renameplan.h"
#include "core/model/checkpoint.h"
#include "core/result.h"

namespace ckpt
{

// A fresh state dict for a weight set derived from a whole-model pickle: an OrderedDict of plain tensors
// (Parameters unwrapped, as model.state_dict() returns them) under the plan's names, in state_dict()
// order, with `_metadata` holding each module's `_version` where the module's class makes it known.
// The tensors still point at the input's storages; GraphRewriter renumbers them afterwards.
Result<const Value*> buildDerivedStateDict(const Checkpoint& checkpoint, const WeightSet& set, const RenamePlan& plan,
                                           ValueArena& arena);

// The value a path leads to from `root` (dict keys, list indices, object attributes); nullptr if none.
const Value* resolvePath(const Value* root, const Path& path);

} // namespace ckpt

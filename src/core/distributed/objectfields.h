#pragma once

#include <string>

#include "core/pickle/value.h"

namespace ckpt::distributed
{

// A field of a pickled object as the safe unpickler recorded it: a key of its BUILD state dict (dataclasses,
// plain objects, a (None, slots) state tuple) or of a plain dict. nullptr when absent.
const Value* field(const Value* object, const std::string& name);
// The class name of an object built from a global (NEWOBJ/REDUCE), e.g. "TensorStorageMetadata"; "" otherwise.
std::string className(const Value* object);
// The module of that class, e.g. "torch.distributed.checkpoint.metadata"; "" otherwise.
std::string classModule(const Value* object);
// An integer (Int, or a bool, or an int-like enum REDUCE(ZeroStageEnum, (2,))); false when it is none of them.
bool intValue(const Value* value, int64_t& out);

} // namespace ckpt::distributed

#pragma once

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "core/pickle/value.h"

namespace ckpt
{

// Quantized TorchScript modules keep their weights in custom-class objects
// (__torch__.torch.classes.quantized.LinearPackedParamsBase, Conv2dPackedParamsBase, ...), pickled as
// NEWOBJ of the class and BUILD with the class's __getstate__ tuple
// (aten/src/ATen/native/quantized/cpu/{fbgemm_utils,conv_serialization}.h):
//   linear:      (weight, bias-or-None)
//   conv, v2:    ("2", [packed config tensor, weight], [bias-or-None])
//   conv, v3:    (3, [config ints], [weight, bias-or-None])
// torch.jit.load(...).state_dict() leaves them out; torch.ops.quantized.*_unpack gives (weight, bias).

bool isPackedParamsObject(const Value* v);
// ("weight", node) and, when present, ("bias", node): the tensor rebuild nodes inside the state.
// `isTensor` says which values are tensor rebuilds (the caller's rebuilder knows).
std::vector<std::pair<std::string, const Value*>>
packedParamsTensors(const Value* v, const std::function<bool(const Value*)>& isTensor);

} // namespace ckpt

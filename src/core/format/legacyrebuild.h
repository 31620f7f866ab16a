#pragma once

#include "core/pickle/value.h"

namespace ckpt
{

// PyTorch 0.2-0.4 pickled a Parameter as REDUCE(torch.nn.parameter.Parameter, (tensor,)) followed by
// BUILD (requires_grad, volatile, backward_hooks) (torch/nn/parameter.py of those releases defined
// __reduce_ex__ that way); the tensor inside is a torch._utils._rebuild_tensor call. Later releases use
// torch._utils._rebuild_parameter, which tensorrebuild.cpp reads directly.

// True for such a Parameter node (its first argument still has to be a tensor rebuild).
bool isLegacyParameterNode(const Value* v);
// The wrapped tensor node, or nullptr.
const Value* legacyParameterTensor(const Value* v);
// requires_grad: the second argument when given, else the first field of the BUILD state, else true.
bool legacyParameterRequiresGrad(const Value* v);

} // namespace ckpt

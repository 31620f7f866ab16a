#pragma once

#include "core/distributed/layout.h"

namespace ckpt::distributed
{

// Checks that the chunks of `tensor` cover it exactly once, as torch's _validate_global_plan does: every
// box inside the bounds, no two boxes overlapping, volumes adding up to the tensor's. Unreadable chunks
// leave the coverage incomplete. Bounded: more than limits::kMaxChunksPerTensor chunks is itself a problem.
Coverage checkCoverage(const VirtualTensor& tensor);

} // namespace ckpt::distributed

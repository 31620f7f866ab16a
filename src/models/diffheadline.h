#pragma once

#include <string>

#include "core/analysis/checkpointdiff.h"

namespace ckpt::models
{

// The diff in one line a person reads at a glance: "122 of 122 tensors equal after removing `module.`", then
// the differences by kind ("; 3 values differ; 1 only left"). Before values are compared it says what was
// compared instead of "equal".
std::string diffHeadline(const CheckpointDiff& diff);

} // namespace ckpt::models

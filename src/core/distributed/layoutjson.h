#pragma once

#include <nlohmann/json.hpp>

#include "core/distributed/layout.h"
#include "core/model/checkpoint.h"

namespace ckpt::distributed
{

// `"chunks": [{"file", "offsets", "sizes", "byte_range"}]` plus "coverage" (and "tied_to", "role") for one
// tensor of a distributed checkpoint, as `ckpt tree --json` prints it (docs/product.md).
void addChunksJson(const VirtualTensor& tensor, nlohmann::json& out);
// The directory at a glance for `ckpt info`: kind, facts (stage, world size, ...), rank files, problems.
nlohmann::json layoutSummaryJson(const Checkpoint& doc);

} // namespace ckpt::distributed

#pragma once

#include <cstddef>
#include <string>
#include <unordered_set>

#include "core/model/checkpoint.h"

namespace ckpt::models
{

// How many value nodes one row's probe may visit. A payload sits at or near the value that holds it (a call,
// or a container of a few calls), so a small fixed budget per row finds it, and the whole marking stays
// proportional to the number of rows, which the file size bounds.
inline constexpr size_t kPayloadProbeNodes = 256;

// The "module.name" of every global the security scan classified as dangerous.
std::unordered_set<std::string> dangerousGlobalNames(const Checkpoint& doc);

// Whether `value` is, calls, or holds (within kPayloadProbeNodes nodes) one of `dangerous`. Cycle-safe.
bool holdsPayload(const Value* value, const std::unordered_set<std::string>& dangerous);

} // namespace ckpt::models

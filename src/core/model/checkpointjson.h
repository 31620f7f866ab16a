#pragma once

#include <nlohmann/json.hpp>

#include "core/model/checkpoint.h"

namespace ckpt
{

// JSON forms of the document, as the CLI contract (docs/product.md) prints them.
nlohmann::json pathToJson(const Path& path);
nlohmann::json tensorToJson(const Checkpoint& doc, const TensorInfo& tensor);
// A ShardedTensor/DTensor: its rank, world size, local pieces (offsets, sizes, placement, component tensor index)
// and, for a ShardedTensor, every rank's piece from its metadata; for a DTensor, placements and mesh.
nlohmann::json shardedValueToJson(const ShardedValue& value);
nlohmann::json valueToJson(const PlainValue& value); // {"path", "type", "value"}
nlohmann::json weightSetToJson(const WeightSet& set);
nlohmann::json treeToJson(const Checkpoint& doc);    // ckpt tree --json
nlohmann::json globalsToJson(const Checkpoint& doc); // ckpt scan --json "globals"
// Wrapper prefixes every key of the main weight set starts with ("module.", "_orig_mod.module."), or "".
std::string commonWrapperPrefix(const Checkpoint& doc);

} // namespace ckpt

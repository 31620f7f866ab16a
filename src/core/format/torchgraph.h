#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/model/checkpoint.h"
#include "core/result.h"

namespace ckpt
{

// Where a storage record's bytes are, as a format loader knows it.
struct RecordLocation {
    bool found = false;
    int file = 0;
    uint64_t offset = 0;
    uint64_t size = 0;
    std::shared_ptr<const std::string> owned; // inflated bytes, when the record was deflated
};
using RecordLocator = std::function<RecordLocation(const std::string& key)>;

// torch names storage records with a decimal counter ("0", "1", ...). The number, when `key` is one
// written that way (no sign, no leading zero), lets loaders index records densely instead of hashing names.
std::optional<uint32_t> recordNumber(std::string_view key);

// Naming of the weight set: ordinary pickles keep their dict keys; TorchScript modules are named by walking
// module attributes the way state_dict() would.
enum class GraphNaming { Pickle, TorchScript };

// Turns the inert value graph in `doc.root` into tensors (recognising torch's rebuild functions and
// persistent ids), plain values, weight sets and the document kind. Storages are created on first
// reference through `locate`. Never fails on odd data: problems become findings or TensorInfo::problem. Every walk
// runs under one GraphVisitor (depth, work and cancel), so the time taken is linear in the number of values.
void interpretTorchGraph(Checkpoint& doc, const RecordLocator& locate, GraphNaming naming = GraphNaming::Pickle,
                         const std::atomic<bool>* cancel = nullptr);

} // namespace ckpt

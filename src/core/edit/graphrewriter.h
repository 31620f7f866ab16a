#pragma once

#include <string>
#include <unordered_map>
#include <vector>

#include "core/edit/locationmap.h"
#include "core/edit/renameplan.h"
#include "core/model/checkpoint.h"
#include "core/result.h"

namespace ckpt
{

// Copies a checkpoint's value graph into a new arena for export: every storage persistent id is
// renumbered in first-use order ("0", "1", ...) with its location mapped, torch.device objects follow
// the same map, and one chosen state dict gets its keys and `_metadata` renamed by a plan. Containers are
// copied once each (a memo keeps shared nodes shared); leaves are reused as they are.
class GraphRewriter
{
public:
    GraphRewriter(const Checkpoint& checkpoint, ValueArena& arena, const LocationMap& locations);

    // The dict (or OrderedDict object) whose keys `plan` renames; both must outlive rewrite().
    void renameDict(const Value* dict, const RenamePlan* plan);
    // The rewritten copy of `root`; Unsupported for persistent ids that are not torch storages.
    Result<const Value*> rewrite(const Value* root);
    // Storage indices of the input, in the order of their new keys ("0" is storages()[0]).
    const std::vector<int>& storages() const { return m_storages; }
    // The new location of each written storage (parallel to storages()).
    const std::vector<std::string>& locations() const { return m_newLocations; }

private:
    const Value* copy(const Value* value, size_t depth);
    const Value* copyPersistentId(const Value* value, size_t depth);
    const Value* copyDevice(const Value* value);
    const Value* renamedMetadata(const Value* metadata);
    const Value* string(const std::string& text);
    bool failed() const { return m_error.status != Status::Ok; }
    const Value* fail(Status status, std::string detail, const Value* at);

    const Checkpoint& m_checkpoint;
    ValueArena& m_arena;
    const LocationMap& m_locationMap;
    const Value* m_renameDict = nullptr;
    const RenamePlan* m_plan = nullptr;
    std::unordered_map<const Value*, const Value*> m_memo;
    std::unordered_map<std::string, int> m_storageByKey;
    std::unordered_map<int, std::string> m_newKey;
    std::vector<int> m_storages;
    std::vector<std::string> m_newLocations;
    Error m_error{Status::Ok, 0, {}};
};

} // namespace ckpt

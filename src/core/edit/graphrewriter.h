#pragma once

#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/edit/locationmap.h"
#include "core/edit/payloadfilter.h"
#include "core/edit/renameplan.h"
#include "core/graph/graphvisitor.h"
#include "core/model/checkpoint.h"
#include "core/result.h"

namespace ckpt
{

// Copies a checkpoint's value graph into a new arena for export: every storage persistent id is
// renumbered in first-use order ("0", "1", ...) with its location mapped, torch.device objects follow
// the same map, and one chosen state dict gets its keys and `_metadata` renamed by a plan. Containers are
// copied once each (a memo keeps shared nodes shared); leaves are reused as they are.
// With dropDangerous() it also leaves out every value that is or calls a dangerous global: a dict entry or
// attribute goes, a tuple or list item becomes None, a BUILD whose state is a payload is not applied, and a
// tensor keeps its bytes with a payload in requires_grad / backward_hooks replaced (see PayloadFilter).
class GraphRewriter
{
public:
    GraphRewriter(const Checkpoint& checkpoint, ValueArena& arena, const LocationMap& locations);

    // Leave out values that are or call a dangerous global instead of copying them; see dropped().
    void dropDangerous();

    // The dict (or OrderedDict object) whose keys `plan` renames; both must outlive rewrite().
    void renameDict(const Value* dict, const RenamePlan* plan);
    // The rewritten copy of `root`; Unsupported for persistent ids that are not torch storages.
    Result<const Value*> rewrite(const Value* root);
    // Storage indices of the input, in the order of their new keys ("0" is storages()[0]).
    const std::vector<int>& storages() const { return m_storages; }
    // The new location of each written storage (parallel to storages()).
    const std::vector<std::string>& locations() const { return m_newLocations; }
    // What dropDangerous() left out, in the order met, each occurrence with its path.
    const std::vector<DroppedValue>& dropped() const { return m_dropped; }
    // Whether `original` (a node of the input graph) was copied into the output; false for what was dropped.
    bool wrote(const Value* original) const;

private:
    // One step of the path to the value being copied; turned into text only when something is dropped.
    struct Step {
        const char* name = nullptr; // a part of an object ("(args)") or a tensor argument ("requires_grad")
        const Value* key = nullptr; // a dict key or attribute name
        int64_t index = -1;         // a tuple/list position
    };

    const Value* copy(const Value* value, size_t depth);
    const Value* child(const Value* value, const Step& step, size_t depth);
    void copyParts(const Value* value, Value* out, size_t depth);
    const Value* copyTensorArgs(const Value* tensor, size_t depth);
    void record(const Step& step, const Value* original, const char* action);
    Value* none();
    Value* emptyOrderedDict();
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
    GraphVisitor m_visitor; // each value is copied once (m_memo); depth and work are bounded all the same
    std::unordered_map<std::string, int> m_storageByKey;
    std::unordered_map<int, std::string> m_newKey;
    std::vector<int> m_storages;
    std::vector<std::string> m_newLocations;
    std::unique_ptr<PayloadFilter> m_filter; // set by dropDangerous()
    Value m_removed;                         // what copy() returns for a value that must go; never written
    std::vector<Step> m_trail;               // the path to the value being copied (only with a filter)
    std::vector<DroppedValue> m_dropped;
    Error m_error{Status::Ok, 0, {}};
};

} // namespace ckpt

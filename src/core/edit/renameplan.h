#pragma once

#include <string>
#include <unordered_map>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "core/analysis/renamerule.h"
#include "core/result.h"

namespace ckpt
{

// Where the keys should end up: as they are, for a single device (no leading `module.`, however many
// there are), or for DataParallel/DDP (exactly one leading `module.`).
enum class TargetLayout { Keep, Single, DataParallel };

const char* layoutTargetName(TargetLayout layout); // "keep", "single", "dataparallel"

struct RenamePair {
    std::string from;
    std::string to;
    bool changed() const { return from != to; }
};

// A key rename as data: the (old, new) pair of every key of one state dict, in the dict's order, so the
// GUI can preview it, the CLI can print it and the exporter can apply it. The explicit rule runs first,
// then the layout.
class RenamePlan
{
public:
    // The plan for `keys`; Status::Refused, naming both keys, when two keys would get the same name.
    static Result<RenamePlan> build(const std::vector<std::string>& keys, const RenameRule& rule, TargetLayout layout);

    const std::vector<RenamePair>& pairs() const { return m_pairs; }
    size_t changedCount() const;
    bool changesAnything() const { return changedCount() > 0; }
    // The new name of a key (any key: one outside the plan is renamed by the same rule).
    std::string rename(const std::string& key) const;
    // The new name of a module path of `_metadata` ("" is the root, "module.0" a child).
    std::string renameModulePath(const std::string& path) const;
    // "remove `module.` (DataParallel/DDP wrapper); layout single".
    std::string describe() const;
    // {"rule": ..., "layout": "single", "pairs": [{"from": ..., "to": ...}], "changed": N}
    nlohmann::json toJson() const;

private:
    std::string apply(const std::string& key) const;

    RenameRule m_rule;
    TargetLayout m_layout = TargetLayout::Keep;
    std::vector<RenamePair> m_pairs;
    std::unordered_map<std::string, size_t> m_index;
};

} // namespace ckpt

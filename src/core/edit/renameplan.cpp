#include "core/edit/renameplan.h"

#include <nlohmann/json.hpp>

namespace ckpt
{

namespace
{

const std::string kWrapper = "module.";

// Marks the leaf when a module path is renamed through a key rule; no real key contains it.
const std::string kLeaf = "\x01";

std::string stripWrappers(std::string key)
{
    while (key.compare(0, kWrapper.size(), kWrapper) == 0 && key.size() > kWrapper.size())
        key.erase(0, kWrapper.size());
    return key;
}

} // namespace

const char* layoutTargetName(TargetLayout layout)
{
    switch (layout) {
    case TargetLayout::Keep:
        return "keep";
    case TargetLayout::Single:
        return "single";
    case TargetLayout::DataParallel:
        return "dataparallel";
    }
    return "keep";
}

std::string RenamePlan::apply(const std::string& key) const
{
    std::string out = m_rule.empty() ? key : m_rule.apply(key);
    switch (m_layout) {
    case TargetLayout::Keep:
        break;
    case TargetLayout::Single:
        out = stripWrappers(out);
        break;
    case TargetLayout::DataParallel:
        out = kWrapper + stripWrappers(out);
        break;
    }
    return out;
}

Result<RenamePlan> RenamePlan::build(const std::vector<std::string>& keys, const RenameRule& rule, TargetLayout layout)
{
    RenamePlan plan;
    plan.m_rule = rule;
    plan.m_layout = layout;
    plan.m_pairs.reserve(keys.size());
    std::unordered_map<std::string, size_t> byNewName;
    for (const std::string& key : keys) {
        std::string to = plan.apply(key);
        if (to.empty()) return makeError(Status::Refused, "renaming `" + key + "` would leave an empty key");
        auto [it, inserted] = byNewName.emplace(to, plan.m_pairs.size());
        if (!inserted)
            return makeError(Status::Refused, "renaming would give `" + plan.m_pairs[it->second].from + "` and `" +
                                                  key + "` the same name `" + to + "`");
        plan.m_index.emplace(key, plan.m_pairs.size());
        plan.m_pairs.push_back(RenamePair{key, std::move(to)});
    }
    return plan;
}

size_t RenamePlan::changedCount() const
{
    size_t count = 0;
    for (const RenamePair& pair : m_pairs)
        count += pair.changed() ? 1 : 0;
    return count;
}

std::string RenamePlan::rename(const std::string& key) const
{
    auto it = m_index.find(key);
    return it != m_index.end() ? m_pairs[it->second].to : apply(key);
}

std::string RenamePlan::renameModulePath(const std::string& path) const
{
    // A module path is renamed like the keys below it: rename "path.<leaf>" and take the leaf off again.
    std::string renamed = apply(path.empty() ? kLeaf : path + "." + kLeaf);
    size_t at = renamed.rfind(kLeaf);
    if (at == std::string::npos) return path; // the rule swallowed the leaf; keep the path as it was
    renamed.erase(at);
    if (!renamed.empty() && renamed.back() == '.') renamed.pop_back();
    return renamed;
}

std::string RenamePlan::describe() const
{
    std::string text = m_rule.empty() ? std::string() : m_rule.describe();
    if (m_layout != TargetLayout::Keep) {
        if (!text.empty()) text += "; ";
        text += m_layout == TargetLayout::Single ? "layout single (remove every leading `module.`)"
                                                 : "layout dataparallel (exactly one leading `module.`)";
    }
    return text.empty() ? "keep every key as it is" : text;
}

nlohmann::json RenamePlan::toJson() const
{
    nlohmann::json pairs = nlohmann::json::array();
    for (const RenamePair& pair : m_pairs)
        pairs.push_back({{"from", pair.from}, {"to", pair.to}});
    return {{"rule", m_rule.toJson()},
            {"layout", layoutTargetName(m_layout)},
            {"text", describe()},
            {"pairs", std::move(pairs)},
            {"changed", changedCount()}};
}

} // namespace ckpt

#include "models/difftree.h"

#include <unordered_map>

namespace ckpt::models
{

namespace
{

// "optimizer/state/0/exp_avg" -> its '/' steps; a weight-set key "layer1.0.conv1.weight" -> its '.' steps.
std::vector<std::pair<std::string, bool>> steps(const std::string& key, bool dottedKey)
{
    std::vector<std::pair<std::string, bool>> out;
    const char sep = dottedKey ? '.' : '/';
    size_t start = 0;
    while (true) {
        const size_t at = key.find(sep, start);
        out.emplace_back(key.substr(start, at == std::string::npos ? std::string::npos : at - start),
                         dottedKey && !out.empty());
        if (at == std::string::npos) break;
        start = at + 1;
    }
    for (const auto& s : out)
        if (s.first.empty()) return {{key, false}};
    return out;
}

} // namespace

std::shared_ptr<const DiffTree> DiffTree::build(std::shared_ptr<const CheckpointDiff> diff, bool differencesOnly)
{
    auto tree = std::make_shared<DiffTree>();
    tree->m_diff = diff;
    tree->m_differencesOnly = differencesOnly;
    std::vector<DiffNode>& nodes = tree->m_nodes;
    nodes.emplace_back();
    std::unordered_map<std::string, int> groups;

    auto place = [&](const std::vector<std::pair<std::string, bool>>& path) {
        int cur = 0;
        for (size_t i = 0; i < path.size(); ++i) {
            const bool last = i + 1 == path.size();
            std::string k(reinterpret_cast<const char*>(&cur), sizeof cur);
            k += path[i].first;
            if (!last) {
                auto it = groups.find(k);
                if (it != groups.end()) {
                    cur = it->second;
                    continue;
                }
            }
            DiffNode n;
            n.name = path[i].first;
            n.parent = cur;
            n.dotted = path[i].second;
            n.row = int(nodes[size_t(cur)].children.size());
            const int id = int(nodes.size());
            nodes.push_back(std::move(n));
            nodes[size_t(cur)].children.push_back(id);
            if (!last) groups.emplace(std::move(k), id);
            cur = id;
        }
        return cur;
    };

    for (size_t i = 0; i < diff->entries.size(); ++i) {
        const DiffEntry& e = diff->entries[i];
        const bool differs = e.status != DiffStatus::Equal;
        if (differencesOnly && !differs) continue;
        // Both sides sit at the aligned name: the left key after the rule, or the right key.
        const std::string aligned =
            e.inWeightSet ? (e.left.empty() ? e.right : diff->rule.apply(e.left)) : (e.left.empty() ? e.right : e.left);
        const int id = place(steps(aligned, e.inWeightSet));
        nodes[size_t(id)].entry = int(i);
        nodes[size_t(id)].leaves = 1;
        nodes[size_t(id)].differing = differs ? 1 : 0;
    }
    for (size_t i = 0; i < diff->plainValues.size(); ++i) {
        const ValueDiffEntry& v = diff->plainValues[i];
        const bool differs = v.status != DiffStatus::Equal;
        if (differencesOnly && !differs) continue;
        const int id = place(steps(v.path, false));
        nodes[size_t(id)].valueEntry = int(i);
        nodes[size_t(id)].leaves = 1;
        nodes[size_t(id)].differing = differs ? 1 : 0;
    }
    for (size_t id = nodes.size() - 1; id > 0; --id) {
        DiffNode& p = nodes[size_t(nodes[id].parent)];
        p.leaves += nodes[id].leaves;
        p.differing += nodes[id].differing;
    }
    return tree;
}

} // namespace ckpt::models

#include "models/checkpointtree.h"

#include <algorithm>
#include <unordered_map>

#include "core/limits.h"
#include "models/payloadprobe.h"

namespace ckpt::models
{

namespace
{

// A path step as a lookup key: names and indices apart, so "0" and 0 do not meet.
std::string stepKey(const PathElement& step)
{
    return step.isIndex ? "i" + std::to_string(step.index) : "s" + step.key;
}

std::string typeOf(const Value* v)
{
    if (!v) return {};
    switch (v->kind) {
    case ValueKind::Dict:
        return "dict";
    case ValueKind::List:
        return "list";
    case ValueKind::Tuple:
        return "tuple";
    case ValueKind::Object:
        if (const Value* g = v->callableGlobal()) return g->text2;
        return "object";
    default:
        return {};
    }
}

std::vector<std::string> splitKey(const PathElement& step)
{
    std::string s = step.toString();
    if (step.isIndex || s.find('.') == std::string::npos) return {s};
    std::vector<std::string> parts;
    size_t start = 0;
    while (true) {
        size_t dot = s.find('.', start);
        parts.push_back(s.substr(start, dot == std::string::npos ? std::string::npos : dot - start));
        if (dot == std::string::npos) break;
        start = dot + 1;
    }
    // "a..b" or a trailing dot is not a module path; keep such keys whole rather than invent empty groups.
    if (std::any_of(parts.begin(), parts.end(), [](const std::string& p) { return p.empty(); })) return {s};
    return parts;
}

class Builder
{
public:
    explicit Builder(std::vector<TreeNode>& nodes) : m_nodes(nodes) {}

    int group(int parent, const std::string& name, NodeKind kind, bool dotted)
    {
        std::string k(reinterpret_cast<const char*>(&parent), sizeof parent);
        k += name;
        auto it = m_groups.find(k);
        if (it != m_groups.end()) return it->second;
        int id = add(parent, name, kind, dotted, -1);
        m_groups.emplace(std::move(k), id);
        return id;
    }

    int add(int parent, const std::string& name, NodeKind kind, bool dotted, int ref)
    {
        TreeNode n;
        n.name = name;
        n.parent = parent;
        n.kind = kind;
        n.dotted = dotted;
        n.ref = ref;
        int id = int(m_nodes.size());
        n.row = int(m_nodes[size_t(parent)].children.size());
        m_nodes.push_back(std::move(n));
        m_nodes[size_t(parent)].children.push_back(id);
        return id;
    }

    // Walks a path, creating containers and module groups, and adds the leaf; returns the leaf id.
    int place(const Path& path, const Value* root, NodeKind leafKind, int ref)
    {
        int cur = 0;
        const Value* v = root;
        for (size_t k = 0; k < path.size(); ++k) {
            const bool lastStep = k + 1 == path.size();
            const std::vector<std::string> parts = splitKey(path[k]);
            for (size_t j = 0; j < parts.size(); ++j) {
                const bool lastPart = j + 1 == parts.size();
                if (lastStep && lastPart) return add(cur, parts[j], leafKind, j > 0, ref);
                cur = group(cur, parts[j], lastPart ? NodeKind::Container : NodeKind::Module, j > 0);
            }
            v = childValue(v, path[k]);
            if (m_nodes[size_t(cur)].typeText.empty()) m_nodes[size_t(cur)].typeText = typeOf(v);
        }
        return cur;
    }

private:
    // The value one path step leads to, so container rows can say what they are ("OrderedDict", "Namespace").
    // Each container's entries are indexed once (scanning them per tensor was quadratic in a wide dict), and an
    // object's chain of states is followed at most kMaxGraphDepth hops (a state may be the object itself).
    const Value* childValue(const Value* v, const PathElement& step)
    {
        for (size_t hop = 0; v && hop <= limits::kMaxGraphDepth; ++hop) {
            switch (v->kind) {
            case ValueKind::Dict:
                return inEntries(v, step);
            case ValueKind::List:
            case ValueKind::Tuple:
                if (step.isIndex && step.index >= 0 && size_t(step.index) < v->items.size())
                    return v->items[size_t(step.index)];
                return nullptr;
            case ValueKind::Object:
                if (const Value* hit = inEntries(v, step)) return hit;
                if (step.isIndex && step.index >= 0 && size_t(step.index) < v->items.size())
                    return v->items[size_t(step.index)];
                v = v->state;
                break;
            default:
                return nullptr;
            }
        }
        return nullptr;
    }

    const Value* inEntries(const Value* v, const PathElement& step)
    {
        if (v->entries.empty()) return nullptr;
        auto [index, fresh] = m_entryIndex.try_emplace(v);
        if (fresh)
            for (const auto& [key, value] : v->entries) {
                if (key && key->kind == ValueKind::Int)
                    index->second.emplace("i" + std::to_string(key->integer), value);
                if (key && key->kind == ValueKind::String) index->second.emplace("s" + key->text, value);
            }
        auto hit = index->second.find(stepKey(step));
        return hit == index->second.end() ? nullptr : hit->second;
    }

    std::vector<TreeNode>& m_nodes;
    std::unordered_map<std::string, int> m_groups;
    std::unordered_map<const Value*, std::unordered_map<std::string, const Value*>> m_entryIndex;
};

} // namespace

bool offersWeightsView(const Checkpoint& doc)
{
    const WeightSet* set = doc.mainWeightSet();
    return doc.kind == Kind::WholeModel && set && set->derived && !set->entries.empty() &&
           doc.verdict() != Severity::Dangerous;
}

std::shared_ptr<const CheckpointTree> CheckpointTree::build(CheckpointPtr doc,
                                                            std::shared_ptr<const MatchOverlay> overlay, TreeView view)
{
    auto tree = std::make_shared<CheckpointTree>();
    tree->m_doc = doc;
    tree->m_overlay = overlay;
    tree->m_view = view == TreeView::Weights && offersWeightsView(*doc) ? TreeView::Weights : TreeView::PythonObjects;
    const bool weights = tree->m_view == TreeView::Weights;
    std::vector<TreeNode>& nodes = tree->m_nodes;
    nodes.reserve(doc->tensors.size() * 2 + doc->values.size() + 16);
    nodes.emplace_back(); // the invisible root
    tree->m_tensorNode.assign(doc->tensors.size(), -1);

    Builder b(nodes);
    // The weights view places each tensor by its state-dict key (one step, split on '.'); the objects view
    // by its path through the pickled objects.
    std::vector<std::pair<int, Path>> placed;
    if (weights) {
        for (const WeightEntry& e : doc->mainWeightSet()->entries)
            if (e.tensor >= 0 && size_t(e.tensor) < doc->tensors.size() && !doc->tensors[size_t(e.tensor)].component)
                placed.emplace_back(e.tensor, Path{PathElement::name(e.key)});
    } else {
        for (size_t i = 0; i < doc->tensors.size(); ++i) {
            const TensorInfo& t = doc->tensors[i];
            if (t.component) continue; // parts of sparse/quantized tensors show through their owner
            if (t.path.empty()) continue;
            placed.emplace_back(int(i), t.path);
        }
    }
    for (const auto& [i, path] : placed) {
        const TensorInfo& t = doc->tensors[size_t(i)];
        int id = b.place(path, weights ? nullptr : doc->root, NodeKind::Tensor, i);
        TreeNode& n = nodes[size_t(id)];
        n.elements = t.numel();
        n.bytes = t.nbytes;
        n.tensorCount = 1;
        if (overlay) {
            auto it = overlay->byTensor.find(i);
            if (it != overlay->byTensor.end()) n.match = it->second.state;
        }
        if (tree->m_tensorNode[size_t(i)] < 0) tree->m_tensorNode[size_t(i)] = id;
    }
    // Payload rows are marked only in files the scan found dangerous; other files pay nothing for it.
    const std::unordered_set<std::string> dangerous = models::dangerousGlobalNames(*doc);
    for (size_t i = 0; i < doc->values.size() && !weights; ++i) {
        if (doc->values[i].path.empty()) continue;
        int id = b.place(doc->values[i].path, doc->root, NodeKind::Value, int(i));
        if (holdsPayload(doc->values[i].value, dangerous)) {
            nodes[size_t(id)].payload = true;
            ++tree->m_payloadRows;
        }
    }
    // Values no PlainValue stands for get rows of their own (ref < 0 indexes m_extraValues): a payload hidden in
    // the root's BUILD state (an OrderedDict's `_metadata`, set as an attribute, is no dict entry), and the root
    // itself when nothing else could be shown (a bare call such as getattr(...)(...) would be an empty tree).
    auto addExtra = [&](const std::string& name, const Value* value) {
        tree->m_extraValues.push_back(value);
        int id = b.add(0, name, NodeKind::Value, false, -int(tree->m_extraValues.size()));
        if (holdsPayload(value, dangerous)) {
            nodes[size_t(id)].payload = true;
            ++tree->m_payloadRows;
        }
    };
    const Value* rootState = doc->root ? doc->root->state : nullptr;
    if (rootState && !dangerous.empty() && !weights) {
        if (rootState->kind == ValueKind::Dict) {
            for (const auto& [key, value] : rootState->entries)
                if (key && key->kind == ValueKind::String && holdsPayload(value, dangerous)) addExtra(key->text, value);
        } else if (holdsPayload(rootState, dangerous)) {
            addExtra("(state)", rootState);
        }
    }
    if (nodes.size() == 1 && doc->root && !doc->root->isScalar()) addExtra("(root)", doc->root);
    if (overlay) {
        Path at; // the weights view has the state dict at the top
        for (const std::string& s : overlay->weightSetPath)
            if (!weights) at.push_back(PathElement::name(s));
        for (size_t g = 0; g < overlay->missing.size(); ++g) {
            Path p = at;
            p.push_back(PathElement::name(overlay->missing[g].checkpointKey));
            int id = b.place(p, nullptr, NodeKind::Ghost, int(g));
            nodes[size_t(id)].match = MatchState::Missing;
        }
    }
    // Children always come after their parent, so one backwards pass aggregates every group.
    for (size_t id = nodes.size() - 1; id > 0; --id) {
        const TreeNode& n = nodes[id];
        TreeNode& p = nodes[size_t(n.parent)];
        p.elements += n.elements;
        p.bytes += n.bytes;
        p.tensorCount += n.tensorCount;
        p.match = std::max(p.match, n.match);
        p.payload = p.payload || n.payload;
        const int location = n.kind == NodeKind::Tensor ? n.ref : n.locationTensor;
        if (location < 0) continue;
        if (p.locationTensor < 0)
            p.locationTensor = location;
        else if (doc->tensors[size_t(p.locationTensor)].location != doc->tensors[size_t(location)].location)
            p.mixedLocations = true;
        p.mixedLocations = p.mixedLocations || n.mixedLocations;
    }
    return tree;
}

const RowMatch* CheckpointTree::rowMatch(int id) const
{
    const TreeNode& n = node(id);
    if (!m_overlay || n.kind != NodeKind::Tensor) return nullptr;
    auto it = m_overlay->byTensor.find(n.ref);
    return it == m_overlay->byTensor.end() ? nullptr : &it->second;
}

const Value* CheckpointTree::value(int id) const
{
    const TreeNode& n = node(id);
    if (n.kind != NodeKind::Value) return nullptr;
    if (n.ref < 0) return m_extraValues[size_t(-n.ref - 1)];
    return m_doc->values[size_t(n.ref)].value;
}

std::string CheckpointTree::key(int id) const
{
    if (id <= 0) return {};
    std::string out = node(id).name;
    while (node(id).dotted && node(id).parent > 0) {
        id = node(id).parent;
        out = node(id).name + '.' + out;
    }
    return out;
}

std::string CheckpointTree::fullPath(int id) const
{
    std::string out;
    bool childDotted = false; // the separator in front of a child depends on how the child was made
    while (id > 0) {
        const TreeNode& n = node(id);
        if (!out.empty()) out.insert(out.begin(), childDotted ? '.' : '/');
        out.insert(0, n.name);
        childDotted = n.dotted;
        id = n.parent;
    }
    return out;
}

int CheckpointTree::nodeForTensor(int tensor) const
{
    if (tensor < 0 || size_t(tensor) >= m_tensorNode.size()) return -1;
    return m_tensorNode[size_t(tensor)];
}

} // namespace ckpt::models

#include "core/format/torchgraph.h"

#include <unordered_map>
#include <unordered_set>

#include "core/distributed/enummembers.h"
#include "core/format/containers.h"
#include "core/format/packedparams.h"
#include "core/format/shardedrebuild.h"
#include "core/format/tensorrebuild.h"
#include "core/graph/graphvisitor.h"
#include "core/limits.h"

namespace ckpt
{

namespace
{

bool isDictLike(const Value* v)
{
    if (v->kind == ValueKind::Dict) return true;
    if (v->kind != ValueKind::Object) return false;
    const Value* cls = v->callableGlobal();
    return cls && ((cls->text == "collections" &&
                    (cls->text2 == "OrderedDict" || cls->text2 == "defaultdict" || cls->text2 == "Counter")) ||
                   (cls->text == "builtins" && cls->text2 == "dict"));
}

// The attribute dict an object was BUILT with (also the dict half of a (dict, slots) state tuple).
const Value* attributeDict(const Value* v)
{
    if (v->kind != ValueKind::Object || !v->state || isDictLike(v)) return nullptr;
    if (v->state->kind == ValueKind::Dict) return v->state;
    if (v->state->kind == ValueKind::Tuple && v->state->items.size() == 2 && v->state->items[0] &&
        v->state->items[0]->kind == ValueKind::Dict)
        return v->state->items[0];
    return nullptr;
}

bool isModuleObject(const Value* v)
{
    const Value* attrs = attributeDict(v);
    return attrs && attrs->find("_modules") && attrs->find("_parameters");
}

// What recording `path` once more costs the work budget: each element, and its text by the 8 bytes, so that the
// names and paths a walk stores (a deep path repeated for every reference below it) stay within memory linear in
// the file, like the number of steps.
size_t recordCost(const Path& path)
{
    size_t bytes = 0;
    for (const PathElement& element : path)
        bytes += element.key.size();
    return 1 + path.size() + bytes / 8;
}

size_t nameCost(const std::string& prefix, const std::string& name)
{
    return 1 + (prefix.size() + name.size()) / 8;
}

PathElement keyElement(const Value* key)
{
    if (key && key->kind == ValueKind::Int) return PathElement::at(key->integer);
    if (key && key->kind == ValueKind::String) return PathElement::name(key->text);
    return PathElement::name(key ? renderValue(key, 80) : "?");
}

class Walker
{
public:
    Walker(Checkpoint& doc, TensorRebuilder& rebuilder, GraphVisitor& visitor, GraphVisitor& deriving)
        : m_doc(doc), m_rebuilder(rebuilder), m_visitor(visitor), m_deriving(deriving)
    {
    }

    void walk(const Value* v, Path& path, size_t depth, bool insideModule);
    void deriveTorchScriptWeights(const Value* root);
    // Points every weight-set entry at the tensor emitted for its node.
    void resolveEntries();

private:
    void maybeWeightSet(const Value* dict, const Path& path, bool insideModule);
    void deriveModuleWeights(const Value* module, const Path& at);
    void collectModule(const Value* module, const std::string& prefix, size_t set, size_t depth);
    void collectScriptModule(const Value* object, const std::string& prefix, size_t set, size_t depth);
    void emitPackedParams(const Value* packed, const std::string& at);
    void addEntry(size_t set, std::string key, const Value* node)
    {
        m_doc.weightSets[set].entries.push_back(WeightEntry{std::move(key), -1});
        m_entryNodes[set].push_back(node);
    }
    size_t newSet(const Path& at, bool derived, const Value* dict)
    {
        WeightSet set;
        set.at = at;
        set.derived = derived;
        set.dict = dict;
        m_doc.weightSets.push_back(std::move(set));
        m_entryNodes.emplace_back();
        return m_doc.weightSets.size() - 1;
    }

    Checkpoint& m_doc;
    TensorRebuilder& m_rebuilder;
    GraphVisitor& m_visitor; // containers are expanded once (memo sharing); depth and work are bounded
    // state_dict() names of whole models have a budget of their own: a module graph whose paths multiply ends its
    // derivation, not the listing of the file's tensors and values.
    GraphVisitor& m_deriving;
    std::vector<std::vector<const Value*>> m_entryNodes; // per weight set, the node of each entry
};

void Walker::walk(const Value* v, Path& path, size_t depth, bool insideModule)
{
    if (!v) return;
    if (!m_visitor.enter(depth)) {
        if (!m_visitor.stopped())
            m_doc.findings.push_back({Severity::Unknown, "value nesting deeper than the limit kMaxGraphDepth at " +
                                                             pathToString(path) + "; the rest is not shown"});
        return;
    }
    if (m_rebuilder.isTensorNode(v)) {
        if (m_visitor.spend(recordCost(path))) m_rebuilder.emit(v, path, depth);
        return;
    }
    bool list = v->kind == ValueKind::List || v->kind == ValueKind::Tuple;
    const Value* attrs = attributeDict(v);
    if (!list && !attrs && !isDictLike(v) && !hasObjectFields(v)) {
        if (m_visitor.spend(recordCost(path))) m_doc.values.push_back(PlainValue{path, v});
        return;
    }
    if (!m_visitor.firstVisit(v)) return; // shared container: walked at its first path

    auto walkItems = [&](const auto& items, bool inside) {
        for (size_t i = 0; i < items.size(); ++i) {
            path.push_back(PathElement::at(static_cast<int64_t>(i)));
            walk(items[i], path, depth + 1, inside);
            path.pop_back();
        }
    };
    auto walkEntries = [&](const auto& entries, bool inside) {
        for (const auto& [key, value] : entries) {
            path.push_back(keyElement(key));
            walk(value, path, depth + 1, inside);
            path.pop_back();
        }
    };
    if (list) {
        walkItems(v->items, insideModule);
        return;
    }
    if (!attrs) { // dict or OrderedDict: its items, not its BUILD state (_metadata)
        maybeWeightSet(v, path, insideModule);
        walkEntries(v->entries, insideModule);
        if (v->kind == ValueKind::Object) { // container objects: list items, slots, constructor data
            walkItems(v->items, insideModule);
            if (const Value* slots = slotState(v)) walkEntries(slots->entries, insideModule);
            ObjectFields fields = constructorFields(v);
            walkEntries(fields.entries, insideModule);
            walkItems(fields.items, insideModule);
        }
        return;
    }
    // An object built with an attribute dict: nn.Module, argparse.Namespace, user classes.
    bool module = isModuleObject(v);
    if (module && !insideModule) deriveModuleWeights(v, path);
    walkEntries(attrs->entries, insideModule || module);
    if (const Value* slots = slotState(v)) walkEntries(slots->entries, insideModule);
    walkItems(v->items, insideModule);
    walkEntries(v->entries, insideModule);
}

// A state dict: string keys, every value a tensor. Not the _parameters/_buffers of a whole model (the
// derived set covers those) and not an optimizer's per-parameter state (state -> {int: {...}}).
void Walker::maybeWeightSet(const Value* dict, const Path& path, bool insideModule)
{
    if (insideModule || dict->entries.empty()) return;
    if (path.size() >= 2 && path.back().isIndex && !path[path.size() - 2].isIndex &&
        path[path.size() - 2].key == "state")
        return;
    for (const auto& [key, value] : dict->entries)
        if (!key || !key->isString() || !m_rebuilder.isTensorNode(value)) return;
    size_t set = newSet(path, false, dict);
    for (const auto& [key, value] : dict->entries)
        addEntry(set, key->text, value);
}

void Walker::deriveModuleWeights(const Value* module, const Path& at)
{
    size_t set = newSet(at, true, nullptr);
    collectModule(module, "", set, 0);
    if (m_deriving.stopped()) {
        // A state dict cut short is a wrong one (an export would write it as the model's): none is derived.
        m_doc.weightSets[set].entries.clear();
        m_entryNodes[set].clear();
        m_doc.findings.push_back({Severity::Unknown, "the weights of the model at " +
                                                         (at.empty() ? std::string("the root") : pathToString(at)) +
                                                         " are not derived: " + m_deriving.explain()});
    }
}

// Mirrors nn.Module.state_dict(): own parameters, then persistent buffers, then children, recursively. A child
// reached under several names is named under each, as state_dict() does; a cycle is cut, and the work budget
// (each call and each entry it reads is a step) ends a graph whose paths multiply, with a finding.
void Walker::collectModule(const Value* module, const std::string& prefix, size_t set, size_t depth)
{
    if (!m_deriving.enter(depth)) return;
    GraphVisitor::PathGuard onPath(m_deriving, module);
    if (!onPath.ok()) return;
    const Value* attrs = attributeDict(module);
    if (!attrs || !m_deriving.spend(attrs->entries.size())) return; // the find()s below read every attribute
    std::unordered_set<std::string> nonPersistent;
    if (const Value* np = attrs->find("_non_persistent_buffers_set")) {
        // builtins.set([...]) pickles as REDUCE(set, ([names],)); EMPTY_SET + ADDITEMS also occurs.
        const Value* names = np;
        if (np->kind == ValueKind::Object && np->args && !np->args->items.empty()) names = np->args->items[0];
        if (!m_deriving.spend(names->items.size())) return;
        for (const Value* name : names->items)
            if (name && name->isString()) nonPersistent.insert(name->text);
    }
    auto addTensors = [&](const char* field, bool skipNonPersistent) {
        const Value* dict = attrs->find(field);
        if (!dict || !m_deriving.spend(dict->entries.size())) return;
        for (const auto& [key, value] : dict->entries) {
            if (!key || !key->isString() || !value || value->kind == ValueKind::None) continue;
            if (skipNonPersistent && nonPersistent.count(key->text)) continue;
            if (!m_deriving.spend(nameCost(prefix, key->text))) return;
            addEntry(set, prefix + key->text, value);
        }
    };
    addTensors("_parameters", false);
    addTensors("_buffers", true);
    if (const Value* children = attrs->find("_modules"))
        for (const auto& [key, child] : children->entries)
            if (key && key->isString() && child && attributeDict(child) &&
                m_deriving.spend(nameCost(prefix, key->text)))
                collectModule(child, prefix + key->text + ".", set, depth + 1);
}

// TorchScript data.pkl holds each module as an object whose attributes are its parameters, buffers
// and submodules; state_dict() names are the dotted attribute paths to the tensors.
void Walker::deriveTorchScriptWeights(const Value* root)
{
    if (!root || root->kind != ValueKind::Object) return;
    // The attributes are the module's own state (not a reconstruction of Python objects), so the set is
    // reported as found rather than derived.
    size_t set = newSet({}, false, nullptr);
    collectScriptModule(root, "", set, 0);
    if (m_deriving.stopped()) {
        m_doc.weightSets[set].entries.clear();
        m_entryNodes[set].clear();
        m_doc.findings.push_back(
            {Severity::Unknown, "the TorchScript module's weights are not listed: " + m_deriving.explain()});
    }
}

void Walker::collectScriptModule(const Value* object, const std::string& prefix, size_t set, size_t depth)
{
    if (!m_deriving.enter(depth)) return;
    GraphVisitor::PathGuard onPath(m_deriving, object);
    if (!onPath.ok()) return;
    const Value* attrs = object->state;
    if (!attrs || attrs->kind != ValueKind::Dict || !m_deriving.spend(2 * attrs->entries.size())) return;
    for (const auto& [key, value] : attrs->entries)
        if (key && key->isString() && m_rebuilder.isTensorNode(value) && m_deriving.spend(nameCost(prefix, key->text)))
            addEntry(set, prefix + key->text, value);
    for (const auto& [key, value] : attrs->entries) {
        if (!key || !key->isString() || !value || value->kind != ValueKind::Object || m_rebuilder.isTensorNode(value))
            continue;
        if (!m_deriving.spend(nameCost(prefix, key->text))) return;
        if (isPackedParamsObject(value)) {
            emitPackedParams(value, prefix + key->text);
            continue;
        }
        collectScriptModule(value, prefix + key->text + ".", set, depth + 1);
    }
}

// Quantized weights and biases of a packed-params object, listed at "<attribute path>.weight"/".bias".
// Not added to the weight set: torch's state_dict() of a scripted quantized model leaves them out too.
void Walker::emitPackedParams(const Value* packed, const std::string& at)
{
    auto isTensor = [this](const Value* v) { return m_rebuilder.isTensorNode(v); };
    for (const auto& [name, node] : packedParamsTensors(packed, isTensor))
        m_rebuilder.emit(node, Path{PathElement::name(at + "." + name)});
}

void Walker::resolveEntries()
{
    for (size_t s = 0; s < m_doc.weightSets.size(); ++s) {
        WeightSet& set = m_doc.weightSets[s];
        for (size_t e = 0; e < set.entries.size(); ++e) {
            const Value* node = m_entryNodes[s][e];
            int tensor = m_rebuilder.emittedIndex(node);
            if (tensor < 0 && m_rebuilder.isTensorNode(node)) {
                // Reachable only through the derived walk (e.g. a TorchScript attribute): emit it now.
                Path path = set.at;
                path.push_back(PathElement::name(set.entries[e].key));
                tensor = m_rebuilder.emit(node, path, path.size());
            }
            if (tensor >= 0) set.entries[e].tensor = tensor;
        }
    }
    // Drop derived sets that found nothing (a module without parameters).
    std::vector<WeightSet> kept;
    for (WeightSet& set : m_doc.weightSets)
        if (!set.entries.empty()) kept.push_back(std::move(set));
    m_doc.weightSets = std::move(kept);
}

bool isWeightSetAt(const Checkpoint& doc, const Path& at)
{
    for (const WeightSet& set : doc.weightSets)
        if (set.at == at) return true;
    return false;
}

Kind classify(const Checkpoint& doc)
{
    const Value* root = doc.root;
    if (!root) return doc.weightSets.empty() ? Kind::Other : Kind::StateDict;
    if (isModuleObject(root)) return Kind::WholeModel;
    if (isWeightSetAt(doc, {})) return Kind::StateDict;
    if (isDictLike(root)) {
        if (root->find("state") && root->find("param_groups") && root->entries.size() == 2) return Kind::Optimizer;
        bool hasWeights = !doc.weightSets.empty();
        for (const auto& [key, value] : root->entries)
            if (value && isModuleObject(value)) hasWeights = true;
        if (hasWeights) return Kind::TrainingCheckpoint;
    }
    return Kind::Other;
}

} // namespace

std::optional<uint32_t> recordNumber(std::string_view key)
{
    if (key.empty() || key.size() > 9 || (key.size() > 1 && key[0] == '0')) return std::nullopt;
    uint32_t number = 0;
    for (char c : key) {
        if (c < '0' || c > '9') return std::nullopt;
        number = number * 10 + static_cast<uint32_t>(c - '0');
    }
    return number;
}

void interpretTorchGraph(Checkpoint& doc, const RecordLocator& locate, GraphNaming naming,
                         const std::atomic<bool>* cancel)
{
    // ShardedTensor metadata pickles enum members as getattr calls, as DCP's .metadata does: same allowance.
    distributed::acceptKnownEnumMembers(doc, doc.root);
    const size_t values = doc.arena ? doc.arena->size() : 0;
    GraphVisitor visitor(values, cancel), deriving(values, cancel);
    TensorRebuilder rebuilder(doc, locate, visitor);
    Walker walker(doc, rebuilder, visitor, deriving);
    Path path;
    if (naming == GraphNaming::TorchScript) {
        walker.deriveTorchScriptWeights(doc.root);
        walker.resolveEntries();
        doc.kind = Kind::TorchScript;
    } else {
        walker.walk(doc.root, path, 0, false);
        walker.resolveEntries();
        doc.kind = classify(doc);
    }
    if (visitor.stopped())
        doc.findings.push_back({Severity::Unknown, visitor.explain() + "; what is shown is incomplete"});
    noteShardedValues(doc);
}

} // namespace ckpt

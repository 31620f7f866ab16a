#include "core/edit/statedictbuilder.h"

#include <optional>

#include "core/graph/graphvisitor.h"
#include "core/limits.h"

namespace ckpt
{

namespace
{

// An object's attributes: its BUILD state dict (or the dict half of a (dict, slots) state).
const Value* attributes(const Value* object)
{
    if (!object || object->kind != ValueKind::Object || !object->state) return nullptr;
    const Value* state = object->state;
    if (state->kind == ValueKind::Tuple && !state->items.empty()) state = state->items[0];
    return state && state->kind == ValueKind::Dict ? state : nullptr;
}

const Value* entryFor(const Value* container, const PathElement& element)
{
    for (const auto& [key, value] : container->entries) {
        if (!key) continue;
        if (!element.isIndex && key->isString() && key->text == element.key) return value;
        if (element.isIndex && key->kind == ValueKind::Int && key->integer == element.index) return value;
    }
    return nullptr;
}

// `_version` is a class attribute, so a pickle never carries it: known torch classes are looked up here
// (_NormBase and the fused conv-bn modules say 2, nn.Module says 1). Other classes stay unknown and get
// no `_metadata` entry, which load_state_dict treats as "no version" (the same as a missing entry).
// The module's class: a GLOBAL, or in legacy files the class inside a ('module', cls, file, source) pid.
const Value* moduleClass(const Value* module)
{
    if (!module || module->kind != ValueKind::Object || !module->callable) return nullptr;
    const Value* callable = module->callable;
    if (callable->kind == ValueKind::PersistentId && !callable->items.empty()) {
        const Value* id = callable->items[0];
        if (id && id->kind == ValueKind::Tuple && id->items.size() >= 2 && id->items[0]->isString() &&
            id->items[0]->text == "module")
            callable = id->items[1];
    }
    return callable && callable->kind == ValueKind::Global ? callable : nullptr;
}

std::optional<int64_t> moduleVersion(const Value* module)
{
    const Value* cls = moduleClass(module);
    if (!cls) return std::nullopt;
    const std::string& where = cls->text;
    if (where == "torch.nn.modules.batchnorm" || where == "torch.nn.modules.instancenorm" ||
        where == "torch.nn.intrinsic.qat.modules.conv_fused" || where == "torch.ao.nn.intrinsic.qat.modules.conv_fused")
        return 2;
    if (where.compare(0, 9, "torch.nn.") == 0 || where.compare(0, 12, "torch.ao.nn.") == 0 ||
        where == "torchvision.models.resnet" || where.compare(0, 18, "torchvision.models") == 0)
        return 1;
    return std::nullopt;
}

class MetadataBuilder
{
public:
    explicit MetadataBuilder(ValueArena& arena) : m_arena(arena) {}

    // Like state_dict(), a child named twice gets an entry under each name; the visitor cuts cycles and ends a
    // graph whose paths multiply (a child named twice per level, 40 levels deep) at its work budget.
    void walk(GraphVisitor& visitor, const Value* module, const std::string& path, size_t depth)
    {
        if (!module || !visitor.enter(depth)) return;
        GraphVisitor::PathGuard onPath(visitor, module);
        if (!onPath.ok()) return;
        if (!visitor.spend(1 + path.size() / 8)) return; // the names it keeps, like the steps, stay linear
        if (std::optional<int64_t> version = moduleVersion(module)) m_entries.emplace_back(path, *version);
        const Value* attrs = attributes(module);
        const Value* children = attrs ? attrs->find("_modules") : nullptr;
        if (!children || !visitor.spend(children->entries.size())) return;
        for (const auto& [name, child] : children->entries) {
            if (!name || !name->isString() || !child || child->kind != ValueKind::Object) continue;
            walk(visitor, child, path.empty() ? name->text : path + "." + name->text, depth + 1);
        }
    }

    const Value* build(const RenamePlan& plan)
    {
        Value* metadata = orderedDict();
        for (const auto& [path, version] : m_entries) {
            Value* entry = m_arena.make(ValueKind::Dict);
            Value* number = m_arena.make(ValueKind::Int);
            number->integer = version;
            entry->entries.emplace_back(string("version"), number);
            metadata->entries.emplace_back(string(plan.renameModulePath(path)), entry);
        }
        return metadata;
    }

    bool empty() const { return m_entries.empty(); }

    Value* orderedDict()
    {
        Value* global = m_arena.make(ValueKind::Global);
        global->text = "collections";
        global->text2 = "OrderedDict";
        Value* dict = m_arena.make(ValueKind::Object);
        dict->how = ObjectHow::Reduce;
        dict->callable = global;
        dict->args = m_arena.make(ValueKind::Tuple);
        return dict;
    }

    const Value* string(const std::string& text)
    {
        Value* value = m_arena.make(ValueKind::String);
        value->text = text;
        return value;
    }

private:
    ValueArena& m_arena;
    std::vector<std::pair<std::string, int64_t>> m_entries;
};

// model.state_dict() holds tensors detached from their Parameters; a Parameter pickles as
// _rebuild_parameter(tensor, requires_grad, hooks), so its first argument is that tensor.
const Value* plainTensor(const Value* node)
{
    const Value* function = node ? node->callableGlobal() : nullptr;
    if (function && function->text == "torch._utils" &&
        (function->text2 == "_rebuild_parameter" || function->text2 == "_rebuild_parameter_with_state") && node->args &&
        !node->args->items.empty())
        return node->args->items[0];
    return node;
}

} // namespace

const Value* resolvePath(const Value* root, const Path& path)
{
    const Value* at = root;
    for (const PathElement& element : path) {
        if (!at) return nullptr;
        switch (at->kind) {
        case ValueKind::List:
        case ValueKind::Tuple:
            if (!element.isIndex || element.index < 0 || static_cast<size_t>(element.index) >= at->items.size())
                return nullptr;
            at = at->items[static_cast<size_t>(element.index)];
            break;
        case ValueKind::Dict:
            at = entryFor(at, element);
            break;
        case ValueKind::Object: {
            const Value* found = at->entries.empty() ? nullptr : entryFor(at, element);
            if (!found && !element.isIndex) {
                const Value* attrs = attributes(at);
                found = attrs ? attrs->find(element.key) : nullptr;
            }
            at = found;
            break;
        }
        default:
            return nullptr;
        }
    }
    return at;
}

Result<const Value*> buildDerivedStateDict(const Checkpoint& checkpoint, const WeightSet& set, const RenamePlan& plan,
                                           ValueArena& arena)
{
    MetadataBuilder metadata(arena);
    Value* dict = metadata.orderedDict();
    for (const WeightEntry& entry : set.entries) {
        if (entry.tensor < 0 || static_cast<size_t>(entry.tensor) >= checkpoint.tensors.size())
            return makeError(Status::Corrupt, "weight `" + entry.key + "` has no tensor");
        const Value* node = checkpoint.tensors[static_cast<size_t>(entry.tensor)].node;
        if (!node) return makeError(Status::Unsupported, "weight `" + entry.key + "` is not a pickled tensor");
        dict->entries.emplace_back(metadata.string(plan.rename(entry.key)), plainTensor(node));
    }
    GraphVisitor visitor(checkpoint.arena ? checkpoint.arena->size() : 0);
    metadata.walk(visitor, resolvePath(checkpoint.root, set.at), "", 0);
    if (visitor.stopped()) return makeError(Status::LimitExceeded, "module versions (_metadata): " + visitor.explain());
    if (!metadata.empty()) {
        Value* state = arena.make(ValueKind::Dict);
        state->entries.emplace_back(metadata.string("_metadata"), metadata.build(plan));
        dict->hasState = true;
        dict->state = state;
    }
    return static_cast<const Value*>(dict);
}

} // namespace ckpt

#include "core/edit/graphrewriter.h"

#include "core/limits.h"

namespace ckpt
{

GraphRewriter::GraphRewriter(const Checkpoint& checkpoint, ValueArena& arena, const LocationMap& locations)
    : m_checkpoint(checkpoint), m_arena(arena), m_locationMap(locations)
{
    for (size_t i = 0; i < checkpoint.storages.size(); ++i)
        m_storageByKey.emplace(checkpoint.storages[i].key, static_cast<int>(i));
}

void GraphRewriter::renameDict(const Value* dict, const RenamePlan* plan)
{
    m_renameDict = dict;
    m_plan = plan;
}

Result<const Value*> GraphRewriter::rewrite(const Value* root)
{
    const Value* out = copy(root, 0);
    if (failed()) return m_error;
    return out;
}

const Value* GraphRewriter::fail(Status status, std::string detail, const Value* at)
{
    if (!failed()) m_error = makeError(status, std::move(detail), at ? at->offset : 0);
    return nullptr;
}

const Value* GraphRewriter::string(const std::string& text)
{
    Value* value = m_arena.make(ValueKind::String);
    value->text = text;
    return value;
}

const Value* GraphRewriter::copyPersistentId(const Value* value, size_t depth)
{
    const Value* id = value->items.empty() ? nullptr : value->items[0];
    if (!id || id->kind != ValueKind::Tuple || id->items.size() < 5 || !id->items[0]->isString() ||
        id->items[0]->text != "storage")
        return fail(Status::Unsupported,
                    "a persistent id that is not a torch storage (" + renderValue(id, 80) +
                        ") cannot be written to a torch zip",
                    value);
    const auto& fields = id->items;
    if (fields.size() > 5 && fields[5] && fields[5]->kind != ValueKind::None)
        return fail(Status::Unsupported,
                    "a legacy storage view (" + renderValue(fields[5], 80) + ") cannot be written to a torch zip",
                    value);
    const Value* key = fields[2];
    std::string keyText = key->isString() ? key->text : renderValue(key, 40);
    auto found = m_storageByKey.find(keyText);
    if (found == m_storageByKey.end())
        return fail(Status::Corrupt, "the pickle refers to storage `" + keyText + "`, which the file lacks", value);
    int storage = found->second;
    auto known = m_newKey.find(storage);
    std::string location = fields[3]->isString() ? fields[3]->text : std::string();
    std::string mapped = m_locationMap.map(location);
    if (known == m_newKey.end()) {
        known = m_newKey.emplace(storage, std::to_string(m_storages.size())).first;
        m_storages.push_back(storage);
        m_newLocations.push_back(mapped);
    }
    Value* tuple = m_arena.make(ValueKind::Tuple, id->offset);
    tuple->items = {fields[0], copy(fields[1], depth + 1), string(known->second),
                    mapped == location ? fields[3] : string(mapped), fields[4]};
    Value* out = m_arena.make(ValueKind::PersistentId, value->offset);
    out->items = {tuple};
    m_memo[value] = out;
    return out;
}

const Value* GraphRewriter::copyDevice(const Value* value)
{
    // torch.device pickles as device(type, index) or device(type); map "type:index" like a storage tag.
    const Value* args = value->args;
    if (!args || args->kind != ValueKind::Tuple || args->items.empty() || !args->items[0]->isString()) return nullptr;
    std::string device = args->items[0]->text;
    if (args->items.size() >= 2 && args->items[1]->kind == ValueKind::Int)
        device += ":" + std::to_string(args->items[1]->integer);
    std::string mapped = m_locationMap.map(device);
    if (mapped == device) return nullptr;
    Value* newArgs = m_arena.make(ValueKind::Tuple, args->offset);
    size_t colon = mapped.find(':');
    newArgs->items.push_back(string(mapped.substr(0, colon)));
    if (colon != std::string::npos) {
        Value* index = m_arena.make(ValueKind::Int);
        index->integer = std::stoll(mapped.substr(colon + 1));
        newArgs->items.push_back(index);
    }
    Value* out = m_arena.make(ValueKind::Object, value->offset);
    *out = *value;
    out->args = newArgs;
    m_memo[value] = out;
    return out;
}

const Value* GraphRewriter::renamedMetadata(const Value* metadata)
{
    const Value* copied = copy(metadata, 1);
    if (!copied || (copied->kind != ValueKind::Object && copied->kind != ValueKind::Dict)) return copied;
    Value* out = m_arena.make(copied->kind, copied->offset);
    *out = *copied;
    out->entries.clear();
    // Mirrors torch's consume_prefix_in_state_dict_if_present: a module path that lands on an existing one
    // replaces its value in place ("module" -> "" overwrites the wrapper's own entry), order otherwise kept.
    std::unordered_map<std::string, size_t> position;
    const Value* rootValue = nullptr;
    for (const auto& [key, entry] : copied->entries) {
        if (!key || !key->isString()) {
            out->entries.emplace_back(key, entry);
            continue;
        }
        if (key->text.empty()) rootValue = entry;
        std::string renamed = m_plan->renameModulePath(key->text);
        auto [it, inserted] = position.emplace(renamed, out->entries.size());
        if (inserted)
            out->entries.emplace_back(renamed == key->text ? key : string(renamed), entry);
        else
            out->entries[it->second].second = entry;
    }
    // Adding a wrapper moves the root entry down to the wrapped module; the new wrapper root gets one too,
    // as a real wrapper's state_dict() would have.
    if (rootValue && !position.count("")) out->entries.insert(out->entries.begin(), {string(""), rootValue});
    return out;
}

const Value* GraphRewriter::copy(const Value* value, size_t depth)
{
    if (!value || failed()) return value;
    auto known = m_memo.find(value);
    if (known != m_memo.end()) return known->second;
    if (depth > limits::kMaxGraphDepth)
        return fail(Status::LimitExceeded, "the value graph nests deeper than kMaxGraphDepth", value);
    switch (value->kind) {
    case ValueKind::None:
    case ValueKind::Bool:
    case ValueKind::Int:
    case ValueKind::BigInt:
    case ValueKind::Float:
    case ValueKind::String:
    case ValueKind::Bytes:
    case ValueKind::Global:
        return value; // immutable leaves: reusing the node keeps memo sharing as it was
    case ValueKind::PersistentId:
        return copyPersistentId(value, depth);
    default:
        break;
    }
    if (value->kind == ValueKind::Object) {
        const Value* callable = value->callableGlobal();
        if (callable && callable->isGlobal("torch", "device") && !m_locationMap.empty())
            if (const Value* device = copyDevice(value)) return device;
    }
    Value* out = m_arena.make(value->kind, value->offset);
    *out = *value;
    m_memo[value] = out; // before the children, so cycles close on the copy
    out->callable = copy(value->callable, depth + 1);
    out->args = copy(value->args, depth + 1);
    out->kwargs = copy(value->kwargs, depth + 1);
    out->state = copy(value->state, depth + 1);
    for (auto& item : out->items)
        item = copy(item, depth + 1);
    for (auto& [key, entry] : out->entries) {
        key = copy(key, depth + 1);
        entry = copy(entry, depth + 1);
    }
    if (value == m_renameDict && m_plan) {
        for (auto& [key, entry] : out->entries) {
            if (!key || !key->isString()) continue;
            std::string renamed = m_plan->rename(key->text);
            if (renamed != key->text) key = string(renamed);
        }
        // The OrderedDict's BUILD state holds `_metadata`; rename its module paths the same way.
        if (out->state && out->state->kind == ValueKind::Dict) {
            Value* state = m_arena.make(ValueKind::Dict, out->state->offset);
            *state = *out->state;
            for (auto& [key, entry] : state->entries)
                if (key && key->isString() && key->text == "_metadata") entry = renamedMetadata(entry);
            out->state = state;
        }
    }
    return failed() ? nullptr : out;
}

} // namespace ckpt

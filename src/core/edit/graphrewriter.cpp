#include "core/edit/graphrewriter.h"

#include <charconv>

#include "core/limits.h"

namespace ckpt
{

GraphRewriter::GraphRewriter(const Checkpoint& checkpoint, ValueArena& arena, const LocationMap& locations)
    : m_checkpoint(checkpoint), m_arena(arena), m_locationMap(locations),
      m_visitor(checkpoint.arena ? checkpoint.arena->size() : 0)
{
    for (size_t i = 0; i < checkpoint.storages.size(); ++i)
        m_storageByKey.emplace(checkpoint.storages[i].key, static_cast<int>(i));
}

void GraphRewriter::renameDict(const Value* dict, const RenamePlan* plan)
{
    m_renameDict = dict;
    m_plan = plan;
}

void GraphRewriter::dropDangerous()
{
    m_filter = std::make_unique<PayloadFilter>();
}

Result<const Value*> GraphRewriter::rewrite(const Value* root)
{
    if (m_filter) m_filter->scan(root, m_checkpoint.replacedStates, m_checkpoint.dangerousCalls);
    const Value* out = copy(root, 0);
    if (failed()) return m_error;
    if (out == &m_removed) { // the whole pickle is a payload: what is left is None
        record(Step{}, root, "replaced by None");
        out = none();
    }
    return out;
}

bool GraphRewriter::wrote(const Value* original) const
{
    auto found = m_memo.find(original);
    return found != m_memo.end() && found->second != &m_removed;
}

Value* GraphRewriter::none()
{
    return m_arena.make(ValueKind::None);
}

Value* GraphRewriter::emptyOrderedDict()
{
    // collections.OrderedDict() as torch.save writes it: GLOBAL, EMPTY_TUPLE, REDUCE.
    Value* global = m_arena.make(ValueKind::Global);
    global->text = "collections";
    global->text2 = "OrderedDict";
    Value* dict = m_arena.make(ValueKind::Object);
    dict->callable = global;
    dict->args = m_arena.make(ValueKind::Tuple);
    return dict;
}

void GraphRewriter::record(const Step& step, const Value* original, const char* action)
{
    Path path;
    auto append = [&path](const Step& s) {
        if (s.name)
            path.push_back(PathElement::name(s.name));
        else if (s.key && s.key->kind == ValueKind::Int)
            path.push_back(PathElement::at(s.key->integer));
        else if (s.key)
            path.push_back(PathElement::name(s.key->isString() ? s.key->text : renderValue(s.key, 60)));
        else if (s.index >= 0)
            path.push_back(PathElement::at(s.index));
    };
    for (const Step& s : m_trail)
        append(s);
    append(step);
    // One line per dangerous global the value held, so none of them reads as "not written" elsewhere.
    std::string where = pathToString(path);
    for (const Value* global : m_filter->dangerousGlobalsIn(original))
        m_dropped.push_back(DroppedValue{where, PayloadFilter::qualifiedName(global), action});
}

const Value* GraphRewriter::child(const Value* value, const Step& step, size_t depth)
{
    if (!m_filter) return copy(value, depth + 1);
    m_trail.push_back(step);
    const Value* out = copy(value, depth + 1);
    m_trail.pop_back();
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
        // from_chars, not stoll: a mapping such as "cuda:x" or "cuda:99999999999999999999" must not throw.
        int64_t number = 0;
        const std::string digits = mapped.substr(colon + 1);
        auto parsed = std::from_chars(digits.data(), digits.data() + digits.size(), number);
        if (parsed.ec != std::errc() || parsed.ptr != digits.data() + digits.size())
            return fail(Status::Refused, "device `" + mapped + "` has no valid index", value);
        Value* index = m_arena.make(ValueKind::Int);
        index->integer = number;
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
    if (!m_visitor.enter(depth)) return fail(Status::LimitExceeded, m_visitor.explain(), value);
    if (m_filter && (m_filter->mustGo(value) || (PayloadFilter::isTensorNode(value) && m_filter->culprit(value) &&
                                                 m_filter->tensorMustGo(value)))) {
        m_memo[value] = &m_removed; // the container that holds it records the drop, once per occurrence
        return &m_removed;
    }
    // Immutable leaves: reusing the node keeps memo sharing as it was.
    if (value->isScalar() || value->kind == ValueKind::Global) return value;
    if (value->kind == ValueKind::PersistentId) return copyPersistentId(value, depth);
    if (value->kind == ValueKind::Object) {
        const Value* callable = value->callableGlobal();
        if (callable && callable->isGlobal("torch", "device") && !m_locationMap.empty())
            if (const Value* device = copyDevice(value)) return device;
    }
    Value* out = m_arena.make(value->kind, value->offset);
    *out = *value;
    m_memo[value] = out; // before the children, so cycles close on the copy
    copyParts(value, out, depth);
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

void GraphRewriter::copyParts(const Value* value, Value* out, size_t depth)
{
    // mustGo() already ruled on the callable and on arguments that are not a tuple, so these stay.
    out->callable = copy(value->callable, depth + 1);
    if (m_filter && PayloadFilter::isTensorNode(value) && value->args && value->args->kind == ValueKind::Tuple &&
        m_filter->culprit(value->args))
        out->args = copyTensorArgs(value, depth + 1);
    else
        out->args = child(value->args, Step{"(args)"}, depth);
    out->kwargs = child(value->kwargs, Step{"(kwargs)"}, depth);
    // An attribute dict reads best as the object's own path; other states get a step of their own.
    bool attributes = value->state && value->state->kind == ValueKind::Dict;
    out->state = attributes ? copy(value->state, depth + 1) : child(value->state, Step{"(state)"}, depth);
    if (out->state == &m_removed) { // BUILD through a payload: the object stays, unbuilt
        record(Step{"(state)"}, value->state, "BUILD removed");
        out->state = nullptr;
        out->hasState = false;
    }
    // Positions carry meaning in tuples, lists and appended items, so a payload there becomes None;
    // set members have none and go.
    bool unordered = value->kind == ValueKind::Set || value->kind == ValueKind::FrozenSet;
    out->items.clear();
    for (size_t i = 0; i < value->items.size(); ++i) {
        Step step{nullptr, nullptr, static_cast<int64_t>(i)};
        const Value* item = child(value->items[i], step, depth);
        if (item != &m_removed) {
            out->items.push_back(item);
            continue;
        }
        record(step, value->items[i], unordered ? "removed" : "replaced by None");
        if (!unordered) out->items.push_back(none());
    }
    out->entries.clear();
    for (const auto& [key, entry] : value->entries) {
        const Value* newKey = child(key, Step{"(key)"}, depth);
        const Value* newEntry = newKey == &m_removed ? &m_removed : child(entry, Step{nullptr, key}, depth);
        if (newKey != &m_removed && newEntry != &m_removed) {
            out->entries.emplace_back(newKey, newEntry);
            continue;
        }
        record(Step{nullptr, key}, newKey == &m_removed ? key : entry, "removed");
    }
}

const Value* GraphRewriter::copyTensorArgs(const Value* tensor, size_t depth)
{
    // Dropping the tensor for a payload in requires_grad or backward_hooks would lose weights over an
    // argument torch fills with a constant: it writes a bool and an empty OrderedDict there (hooks are never
    // saved), so that is what replaces the payload, and the tensor's bytes stay as they were.
    const Value* args = tensor->args;
    Value* out = m_arena.make(ValueKind::Tuple, args->offset);
    *out = *args;
    m_memo[args] = out;
    for (size_t i = 0; i < args->items.size(); ++i) {
        const Value* item = args->items[i];
        PayloadFilter::Slot slot = PayloadFilter::slotOf(tensor, i);
        if (m_filter->culprit(item) && PayloadFilter::slotName(slot)) {
            bool hooks = slot == PayloadFilter::Slot::BackwardHooks;
            record(Step{PayloadFilter::slotName(slot)}, item,
                   hooks ? "replaced by an empty OrderedDict" : "replaced by False");
            out->items[i] = hooks ? emptyOrderedDict() : m_arena.make(ValueKind::Bool);
            continue;
        }
        // Structural arguments are clean here (or a repairable Parameter data tensor): tensorMustGo said so.
        m_trail.push_back(Step{"(args)"});
        Step step{nullptr, nullptr, static_cast<int64_t>(i)};
        const Value* copied = child(item, step, depth);
        if (copied == &m_removed) record(step, item, "replaced by None");
        m_trail.pop_back();
        out->items[i] = copied == &m_removed ? none() : copied;
    }
    return out;
}

} // namespace ckpt

#include "core/format/containers.h"

namespace ckpt
{

namespace
{

bool isClass(const Value* g, const char* module, const char* name)
{
    return g && g->kind == ValueKind::Global && g->text == module && g->text2 == name;
}

bool isTorchGlobal(const Value* g)
{
    return g && g->kind == ValueKind::Global && (g->text == "torch" || g->text.compare(0, 6, "torch.") == 0);
}

} // namespace

const Value* slotState(const Value* v)
{
    if (!v || v->kind != ValueKind::Object || !v->state || v->state->kind != ValueKind::Tuple) return nullptr;
    const auto& s = v->state->items;
    if (s.size() != 2 || !s[1] || s[1]->kind != ValueKind::Dict) return nullptr;
    if (s[0] && s[0]->kind != ValueKind::None && s[0]->kind != ValueKind::Dict) return nullptr;
    return s[1];
}

ObjectFields constructorFields(const Value* v)
{
    ObjectFields out;
    if (!v || v->kind != ValueKind::Object || !v->args || v->args->kind != ValueKind::Tuple || v->args->items.empty())
        return out;
    const Value* cls = v->callableGlobal();
    const Value* first = v->args->items[0];
    bool counterOrOrdered = isClass(cls, "collections", "Counter") || isClass(cls, "collections", "OrderedDict") ||
                            isClass(cls, "builtins", "dict");
    if (counterOrOrdered && first && first->kind == ValueKind::Dict) {
        out.entries.assign(first->entries.begin(), first->entries.end());
        return out;
    }
    if (counterOrOrdered && first && first->kind == ValueKind::List) { // [[key, value], ...]
        for (const Value* pair : first->items)
            if (pair && (pair->kind == ValueKind::List || pair->kind == ValueKind::Tuple) && pair->items.size() == 2)
                out.entries.emplace_back(pair->items[0], pair->items[1]);
        return out;
    }
    if (isClass(cls, "collections", "deque") && first && first->kind == ValueKind::List) {
        out.items.assign(first->items.begin(), first->items.end());
        return out;
    }
    // NEWOBJ(cls, args) with nothing else: a tuple subclass (namedtuple) whose fields are the arguments.
    if (v->how == ObjectHow::NewObj && cls && !isTorchGlobal(cls) && !v->hasState && v->entries.empty() &&
        v->items.empty())
        out.items.assign(v->args->items.begin(), v->args->items.end());
    return out;
}

bool hasObjectFields(const Value* v)
{
    if (!v || v->kind != ValueKind::Object) return false;
    return !v->entries.empty() || !v->items.empty() || slotState(v) || constructorFields(v).any();
}

} // namespace ckpt

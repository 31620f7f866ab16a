#include "core/distributed/objectfields.h"

namespace ckpt::distributed
{

const Value* field(const Value* object, const std::string& name)
{
    if (!object) return nullptr;
    if (object->kind == ValueKind::Dict) return object->find(name);
    if (object->kind != ValueKind::Object || !object->state) return nullptr;
    const Value* state = object->state;
    if (state->kind == ValueKind::Dict) return state->find(name);
    if (state->kind == ValueKind::Tuple) // (dict state, slots state)
        for (const Value* part : state->items)
            if (part && part->kind == ValueKind::Dict)
                if (const Value* found = part->find(name)) return found;
    return nullptr;
}

std::string className(const Value* object)
{
    if (!object || object->kind != ValueKind::Object) return {};
    const Value* cls = object->callableGlobal();
    return cls ? cls->text2 : std::string();
}

std::string classModule(const Value* object)
{
    if (!object || object->kind != ValueKind::Object) return {};
    const Value* cls = object->callableGlobal();
    return cls ? cls->text : std::string();
}

bool intValue(const Value* value, int64_t& out)
{
    if (!value) return false;
    if (value->kind == ValueKind::Int) {
        out = value->integer;
        return true;
    }
    if (value->kind == ValueKind::Bool) {
        out = value->boolean ? 1 : 0;
        return true;
    }
    // An int-valued Enum member pickles as REDUCE(EnumClass, (value,)).
    if (value->kind == ValueKind::Object && value->args && value->args->kind == ValueKind::Tuple &&
        value->args->items.size() == 1 && value->args->items[0] && value->args->items[0]->kind == ValueKind::Int) {
        out = value->args->items[0]->integer;
        return true;
    }
    return false;
}

} // namespace ckpt::distributed

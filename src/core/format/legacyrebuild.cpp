#include "core/format/legacyrebuild.h"

namespace ckpt
{

bool isLegacyParameterNode(const Value* v)
{
    if (!v || v->kind != ValueKind::Object || v->how != ObjectHow::Reduce) return false;
    const Value* cls = v->callableGlobal();
    return cls && cls->text == "torch.nn.parameter" && cls->text2 == "Parameter" && v->args &&
           v->args->kind == ValueKind::Tuple && !v->args->items.empty();
}

const Value* legacyParameterTensor(const Value* v)
{
    return isLegacyParameterNode(v) ? v->args->items[0] : nullptr;
}

bool legacyParameterRequiresGrad(const Value* v)
{
    if (!isLegacyParameterNode(v)) return false;
    const auto& args = v->args->items;
    if (args.size() >= 2 && args[1]->kind == ValueKind::Bool) return args[1]->boolean;
    if (v->state && v->state->kind == ValueKind::Tuple && !v->state->items.empty() &&
        v->state->items[0]->kind == ValueKind::Bool)
        return v->state->items[0]->boolean;
    return true; // Parameter's default
}

} // namespace ckpt

#include "core/format/packedparams.h"

namespace ckpt
{

namespace
{

bool endsWith(const std::string& s, const char* suffix)
{
    std::string_view tail(suffix);
    return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

// A quantized weight is rebuilt by _rebuild_qtensor; the bias and the v2 config tensor are not.
bool isQuantizedRebuild(const Value* v)
{
    const Value* fn = v && v->kind == ValueKind::Object ? v->callableGlobal() : nullptr;
    return fn && fn->text == "torch._utils" && fn->text2 == "_rebuild_qtensor";
}

} // namespace

bool isPackedParamsObject(const Value* v)
{
    const Value* cls = v && v->kind == ValueKind::Object ? v->callableGlobal() : nullptr;
    return cls && cls->text == "__torch__.torch.classes.quantized" && endsWith(cls->text2, "PackedParamsBase");
}

std::vector<std::pair<std::string, const Value*>> packedParamsTensors(const Value* v,
                                                                      const std::function<bool(const Value*)>& isTensor)
{
    std::vector<std::pair<std::string, const Value*>> out;
    if (!isPackedParamsObject(v)) return out;
    const ValueList<const Value*>& state = sequenceItems(v->state);
    const Value* weight = nullptr;
    const Value* bias = nullptr;
    if (state.size() == 2) { // linear: (weight, bias)
        weight = state[0];
        bias = state[1];
    } else if (state.size() == 3) { // conv: (version, tensors, optional tensors)
        for (const Value* part : {state[1], state[2]})
            for (const Value* item : sequenceItems(part)) {
                if (!weight && isQuantizedRebuild(item))
                    weight = item;
                else if (weight && !bias && part == state[2] && item != weight && isTensor(item))
                    bias = item;
            }
    }
    if (weight && isTensor(weight)) out.emplace_back("weight", weight);
    if (bias && isTensor(bias)) out.emplace_back("bias", bias);
    return out;
}

} // namespace ckpt

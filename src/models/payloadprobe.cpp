#include "models/payloadprobe.h"

#include <vector>

#include "core/pickle/value.h"

namespace ckpt::models
{

std::unordered_set<std::string> dangerousGlobalNames(const Checkpoint& doc)
{
    std::unordered_set<std::string> names;
    for (const GlobalRef& ref : doc.globals)
        if (ref.severity == Severity::Dangerous) names.insert(ref.module + "." + ref.name);
    return names;
}

bool holdsPayload(const Value* value, const std::unordered_set<std::string>& dangerous)
{
    if (!value || dangerous.empty()) return false;
    std::vector<const Value*> stack{value};
    std::unordered_set<const Value*> seen;
    size_t visited = 0;
    // Never more pending than the budget can visit: a list of a million items costs no more than a short one.
    auto push = [&](const Value* child) {
        if (child && stack.size() < kPayloadProbeNodes) stack.push_back(child);
    };
    while (!stack.empty() && visited < kPayloadProbeNodes) {
        const Value* v = stack.back();
        stack.pop_back();
        if (!v || !seen.insert(v).second) continue;
        ++visited;
        if (v->kind == ValueKind::Global && dangerous.count(v->text + "." + v->text2)) return true;
        if (v->isScalar()) continue;
        for (const Value* child : {v->callable, v->args, v->kwargs, v->state})
            push(child);
        for (const Value* item : v->items)
            push(item);
        for (const auto& [key, val] : v->entries) {
            push(key);
            push(val);
        }
    }
    return false;
}

} // namespace ckpt::models

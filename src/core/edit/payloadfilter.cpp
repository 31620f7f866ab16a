#include "core/edit/payloadfilter.h"

#include <algorithm>
#include <unordered_set>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/analysis/securityscan.h"
#include "core/graph/graphvisitor.h"
#include "core/pickle/valuechildren.h"

namespace ckpt
{

nlohmann::json DroppedValue::toJson() const
{
    return {{"path", path}, {"global", global}, {"action", action}};
}

bool PayloadFilter::isDangerous(const Value* global) const
{
    auto known = m_verdicts.find(global);
    if (known != m_verdicts.end()) return known->second;
    bool dangerous = classifyGlobal(global->text, global->text2) == Severity::Dangerous;
    m_verdicts.emplace(global, dangerous);
    return dangerous;
}

// The children of forEachChild plus the states earlier BUILDs gave the value.
template <typename Visit> void PayloadFilter::forEachPart(const Value* value, Visit&& visit) const
{
    forEachChild(value, visit);
    auto [first, last] = m_replacedStates.equal_range(value);
    for (auto it = first; it != last; ++it)
        visit(it->second);
}

const Value* PayloadFilter::dangerousCall(const Value* value) const
{
    auto found = m_dangerousCalls.find(value);
    return found == m_dangerousCalls.end() ? nullptr : found->second;
}

void PayloadFilter::scan(const Value* root, const std::vector<std::pair<const Value*, const Value*>>& replacedStates,
                         const std::vector<DangerousCall>& dangerousCalls)
{
    for (const auto& [object, state] : replacedStates)
        m_replacedStates.emplace(object, state);
    for (const DangerousCall& call : dangerousCalls)
        if (call.node) m_dangerousCalls.emplace(call.node, call.loader);
    // Forward over the graph recording who points at whom, then backward from each dangerous Global: exact
    // even through cycles, where a memoised depth-first "does it reach one" answers too early. Plain leaves
    // and safe Globals lead nowhere, so their (many) parents are not recorded.
    std::unordered_map<const Value*, std::vector<const Value*>> parents;
    std::unordered_set<const Value*> seen;
    std::vector<const Value*> pending;
    std::vector<const Value*> dangerous;
    auto reach = [&](const Value* parent, const Value* child) {
        if (!child || child->isScalar()) return;
        if (child->kind == ValueKind::Global && !isDangerous(child) && !dangerousCall(child)) return;
        if (parent) parents[child].push_back(parent);
        if (seen.insert(child).second) pending.push_back(child);
    };
    reach(nullptr, root);
    while (!pending.empty()) {
        const Value* value = pending.back();
        pending.pop_back();
        if (value->kind == ValueKind::Global || dangerousCall(value)) {
            dangerous.push_back(value);
            continue;
        }
        forEachPart(value, [&](const Value* child) { reach(value, child); });
    }
    m_namingBudget = GraphVisitor::workBudgetFor(seen.size());
    for (const Value* start : dangerous) {
        const Value* global = dangerousCall(start) ? dangerousCall(start) : start;
        if (!m_culprit.emplace(start, global).second) continue;
        std::vector<const Value*> up{start};
        while (!up.empty()) {
            const Value* value = up.back();
            up.pop_back();
            auto found = parents.find(value);
            if (found == parents.end()) continue;
            for (const Value* parent : found->second)
                if (m_culprit.emplace(parent, global).second) up.push_back(parent);
        }
    }
}

const Value* PayloadFilter::culprit(const Value* value) const
{
    if (!value) return nullptr;
    if (const Value* loader = dangerousCall(value)) return loader;
    if (value->kind == ValueKind::Global) return isDangerous(value) ? value : nullptr;
    auto found = m_culprit.find(value);
    return found == m_culprit.end() ? nullptr : found->second;
}

const Value* PayloadFilter::mustGo(const Value* value) const
{
    if (!value) return nullptr;
    if (const Value* loader = dangerousCall(value)) return loader; // a loader call whose payload is dangerous
    switch (value->kind) {
    case ValueKind::Global:
        return isDangerous(value) ? value : nullptr;
    case ValueKind::PersistentId: // a storage whose id was computed by a payload is no storage to write
        return culprit(value);
    case ValueKind::Object: {
        // Name what is called: the Global at the end of a chain of calls (getattr(...)(...) -> getattr).
        const Value* callee = value->callable;
        for (int step = 0; callee && callee->kind == ValueKind::Object && step < 64; ++step)
            callee = callee->callable;
        if (callee && callee->kind == ValueKind::Global && isDangerous(callee)) return callee;
        if (const Value* called = culprit(value->callable)) return called;
        // Arguments that are not a tuple (or keywords that are not a dict) can only be a call's result.
        if (value->args && value->args->kind != ValueKind::Tuple)
            if (const Value* made = culprit(value->args)) return made;
        if (value->kwargs && value->kwargs->kind != ValueKind::Dict)
            if (const Value* made = culprit(value->kwargs)) return made;
        // BUILD({'__setstate__': os.system}) then BUILD('cmd') calls os.system('cmd'): an earlier state that
        // carries a dangerous global makes the later BUILDs calls through it.
        auto [first, last] = m_replacedStates.equal_range(value);
        for (auto it = first; it != last; ++it)
            if (const Value* set = culprit(it->second)) return set;
        return nullptr;
    }
    default:
        return nullptr;
    }
}

std::vector<const Value*> PayloadFilter::dangerousGlobalsIn(const Value* value) const
{
    std::vector<const Value*> found;
    const Value* first = mustGo(value);
    if (!first) first = culprit(value);
    if (!first) return found;
    found.push_back(first);
    // Only values that carry one are entered, so this walks the payload, not the weights around it.
    std::unordered_set<const Value*> seen{value};
    std::vector<const Value*> pending{value};
    while (!pending.empty() && found.size() < kMaxNamed && m_namingWork < m_namingBudget) {
        const Value* at = pending.back();
        pending.pop_back();
        ++m_namingWork;
        auto name = [&](const Value* global) {
            if (global != first && std::none_of(found.begin(), found.end(), [&](const Value* g) {
                    return qualifiedName(g) == qualifiedName(global);
                }))
                found.push_back(global);
        };
        if (const Value* loader = dangerousCall(at)) {
            name(loader);
            continue;
        }
        if (at->kind == ValueKind::Global) {
            if (isDangerous(at)) name(at);
            continue;
        }
        forEachPart(at, [&](const Value* child) {
            if (child && culprit(child) && seen.insert(child).second) pending.push_back(child);
        });
    }
    return found;
}

bool PayloadFilter::isTensorNode(const Value* value)
{
    if (!value || value->kind != ValueKind::Object || value->how != ObjectHow::Reduce) return false;
    const Value* function = value->callableGlobal();
    if (!function) return false;
    return (function->text == "torch._utils" && function->text2.compare(0, 9, "_rebuild_") == 0) ||
           (function->text == "torch._tensor" && function->text2 == "_rebuild_from_type_v2");
}

PayloadFilter::Slot PayloadFilter::slotOf(const Value* tensor, size_t index)
{
    // Argument positions as torch/_utils.py and torch/_tensor.py define them; any function not listed keeps
    // every argument Structural, so an unknown rebuild with a payload goes whole rather than half-repaired.
    const std::string& name = tensor->callableGlobal()->text2;
    auto layout = [index](size_t requiresGrad, size_t hooks, size_t firstPlain) {
        if (index == requiresGrad) return Slot::RequiresGrad;
        if (index == hooks) return Slot::BackwardHooks;
        return index >= firstPlain ? Slot::Plain : Slot::Structural;
    };
    constexpr size_t kNone = static_cast<size_t>(-1);
    if (name == "_rebuild_tensor_v2") return layout(4, 5, 6);                  // (..., rg, hooks, metadata)
    if (name == "_rebuild_tensor_v3") return layout(4, 5, 7);                  // (..., rg, hooks, dtype, metadata)
    if (name == "_rebuild_parameter") return layout(1, 2, 3);                  // (data, rg, hooks)
    if (name == "_rebuild_parameter_with_state") return layout(1, 2, 3);       // (data, rg, hooks, state)
    if (name == "_rebuild_qtensor") return layout(5, 6, 7);                    // (storage..., qparams, rg, hooks)
    if (name == "_rebuild_meta_tensor_no_storage") return layout(3, kNone, 4); // (dtype, size, stride, rg)
    if (name == "_rebuild_from_type_v2") return layout(kNone, kNone, 3);       // (func, type, args, state)
    return Slot::Structural;
}

const char* PayloadFilter::slotName(Slot slot)
{
    switch (slot) {
    case Slot::RequiresGrad:
        return "requires_grad";
    case Slot::BackwardHooks:
        return "backward_hooks";
    default:
        return nullptr;
    }
}

bool PayloadFilter::tensorMustGo(const Value* tensor) const
{
    return tensorMustGo(tensor, 0);
}

bool PayloadFilter::tensorMustGo(const Value* tensor, int depth) const
{
    auto known = m_tensorVerdicts.find(tensor);
    if (known != m_tensorVerdicts.end()) return known->second;
    // torch nests rebuilds two deep (parameter of a tensor); deeper (or a cycle) is no tensor torch wrote.
    if (depth > static_cast<int>(limits::kMaxTensorRebuildNesting)) return true;
    bool verdict = judgeTensor(tensor, depth);
    m_tensorVerdicts.emplace(tensor, verdict);
    return verdict;
}

bool PayloadFilter::judgeTensor(const Value* tensor, int depth) const
{
    if (mustGo(tensor)) return true;
    const Value* args = tensor->args;
    if (!args || args->kind != ValueKind::Tuple) return false;
    for (size_t i = 0; i < args->items.size(); ++i) {
        const Value* item = args->items[i];
        if (!culprit(item) || slotOf(tensor, i) != Slot::Structural) continue;
        // A Parameter's data is itself a rebuild call, which may be repairable.
        if (isTensorNode(item) && !tensorMustGo(item, depth + 1)) continue;
        return true;
    }
    return false;
}

std::string PayloadFilter::qualifiedName(const Value* global)
{
    return global ? global->text + "." + global->text2 : std::string();
}

} // namespace ckpt

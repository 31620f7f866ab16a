#pragma once

#include <cstddef>
#include <string>
#include <unordered_map>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "core/limits.h"
#include "core/model/checkpoint.h"
#include "core/pickle/value.h"

namespace ckpt
{

// One value an export left out because it is, calls or carries a dangerous global.
struct DroppedValue {
    std::string path;   // where it was, as pathToString prints it ("" = the root or, for "not written", nowhere)
    std::string global; // the dangerous global, "module.name"
    std::string action; // "removed", "replaced by None", "replaced by False", ... or "not written"
    nlohmann::json toJson() const;
};

// Decides which values of a pickle's graph an export that drops dangerous objects must leave out. A value
// "carries" a dangerous global when one is reachable from it; it must go when it is one, or is a call made
// through one (the callable, or the whole argument tuple, was computed with it). Tensor rebuild calls are
// judged argument by argument (see slotOf), so a payload hidden in requires_grad or backward_hooks costs the
// payload, not the weights.
class PayloadFilter
{
public:
    // Where a tensor rebuild call's argument sits, and so what replaces a payload found in it.
    enum class Slot {
        Structural,    // storage, offset, shape, stride, dtype, data...: without it there is no tensor
        RequiresGrad,  // torch writes a bool here: a payload becomes False
        BackwardHooks, // torch writes an empty OrderedDict here (hooks are never saved): a payload becomes one
        Plain,         // metadata / object state, optional: cleaned like any other value
    };

    // Indexes every value reachable from `root` that carries a dangerous global (cycles included); values
    // made later (copies, replacements) are taken as clean.
    // `replacedStates` (object, earlier BUILD state) count as parts of their object: a later BUILD runs through
    // what an earlier one set, so an object whose earlier state carries a dangerous global goes whole.
    // `dangerousCalls` (loader calls whose payload is dangerous, see Checkpoint::dangerousCalls) count as dangerous
    // Globals: each goes whole, named after its loader.
    void scan(const Value* root, const std::vector<std::pair<const Value*, const Value*>>& replacedStates = {},
              const std::vector<DangerousCall>& dangerousCalls = {});
    // A dangerous Global reachable from `value` (itself included), or nullptr when it carries none.
    const Value* culprit(const Value* value) const;
    // The dangerous Global that `value` is or is called through, or nullptr when the value itself may stay
    // (possibly with parts of it dropped).
    const Value* mustGo(const Value* value) const;
    // A tensor rebuild call that carries a dangerous global in a Structural argument cannot be rebuilt
    // without it, so it goes whole.
    bool tensorMustGo(const Value* tensor) const;
    // Every dangerous Global reachable from `value`, the one that explains it best first (what it is called
    // through, else any); at most kMaxNamed, so a report stays readable whatever the file holds. All calls together
    // walk at most a budget linear in the graph; past it, each names only its first global.
    std::vector<const Value*> dangerousGlobalsIn(const Value* value) const;
    static constexpr size_t kMaxNamed = limits::kMaxNamedPayloadGlobals;

    static bool isTensorNode(const Value* value);
    static Slot slotOf(const Value* tensor, size_t index);
    static const char* slotName(Slot slot); // "requires_grad", "backward_hooks", or nullptr
    static std::string qualifiedName(const Value* global);

private:
    bool isDangerous(const Value* global) const;
    const Value* dangerousCall(const Value* value) const; // the loader naming it, or nullptr
    template <typename Visit> void forEachPart(const Value* value, Visit&& visit) const;
    bool tensorMustGo(const Value* tensor, int depth) const;
    bool judgeTensor(const Value* tensor, int depth) const;

    std::unordered_map<const Value*, const Value*> m_culprit;             // value -> a dangerous Global it reaches
    mutable std::unordered_map<const Value*, bool> m_verdicts;            // Global node -> dangerous
    std::unordered_multimap<const Value*, const Value*> m_replacedStates; // object -> an earlier BUILD state
    // tensorMustGo answers per node: a rebuild whose arguments name the same nested rebuild many times would
    // otherwise be judged (arguments)^nesting times.
    mutable std::unordered_map<const Value*, bool> m_tensorVerdicts;
    // Naming globals walks the payload once per dropped value; together the walks stay within a work budget
    // linear in the graph (GraphVisitor::workBudgetFor), after which only the first global is named.
    size_t m_namingBudget = limits::kGraphWorkBase;
    mutable size_t m_namingWork = 0;
    std::unordered_map<const Value*, const Value*> m_dangerousCalls; // loader call -> the loader Global
};

} // namespace ckpt

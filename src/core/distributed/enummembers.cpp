#include "core/distributed/enummembers.h"

#include <algorithm>
#include <unordered_set>

#include "core/distributed/objectfields.h"

namespace ckpt::distributed
{

namespace
{

struct KnownEnum {
    const char* module;
    const char* name;
    std::vector<const char*> members;
};

const std::vector<KnownEnum>& knownEnums()
{
    static const std::vector<const char*> memoryFormats{"TORCH_CONTIGUOUS_FORMAT", "TORCH_CHANNELS_LAST",
                                                        "TORCH_PRESERVE_FORMAT"};
    static const std::vector<KnownEnum> enums{
        {"torch.distributed._shard.sharded_tensor.metadata", "MEM_FORMAT_ENCODING", memoryFormats},
        {"torch.distributed.checkpoint.metadata", "_MEM_FORMAT_ENCODING", memoryFormats},
        {"deepspeed.runtime.zero.config", "ZeroStageEnum", {"disabled", "optimizer_states", "gradients", "weights"}},
    };
    return enums;
}

// Classes nested in a torch class that torch's own pickles reach through getattr: ShardedTensor.__getstate__ keeps
// its process group as a ShardedTensor.ProcessGroupState dataclass (four ints), which Python pickles as
// getattr(ShardedTensor, 'ProcessGroupState'). Exact (module, class, attribute) triples, nothing broader.
struct KnownNested {
    const char* module;
    const char* owner;
    const char* name;
};
const KnownNested kKnownNested[] = {
    {"torch.distributed._shard.sharded_tensor.api", "ShardedTensor", "ProcessGroupState"},
};

bool isKnownMember(const Value* call)
{
    const Value* args = call->args;
    if (!args || args->kind != ValueKind::Tuple || args->items.size() != 2) return false;
    const Value* cls = args->items[0];
    const Value* member = args->items[1];
    if (!cls || cls->kind != ValueKind::Global || !member || !member->isString()) return false;
    for (const KnownEnum& e : knownEnums())
        if (cls->text == e.module && cls->text2 == e.name)
            for (const char* m : e.members)
                if (member->text == m) return true;
    return false;
}

bool isKnownNestedClass(const Value* call)
{
    const Value* args = call->args;
    if (!args || args->kind != ValueKind::Tuple || args->items.size() != 2) return false;
    const Value* cls = args->items[0];
    const Value* member = args->items[1];
    if (!cls || cls->kind != ValueKind::Global || !member || !member->isString()) return false;
    for (const KnownNested& n : kKnownNested)
        if (cls->text == n.module && cls->text2 == n.owner && member->text == n.name) return true;
    return false;
}

} // namespace

void acceptKnownEnumMembers(Checkpoint& doc, const Value* root)
{
    bool usesGetattr = false;
    for (const GlobalRef& g : doc.globals)
        usesGetattr = usesGetattr || (g.module == "builtins" && g.name == "getattr");
    if (!usesGetattr || !root) return;
    // Every getattr call in the graph must read a known enum member, and the getattr global must be reached
    // only as such a call's callable (never passed around as data). Bounded: each value is visited once.
    std::unordered_set<const Value*> seen;
    // States a later BUILD replaced are gone from the graph but a Python unpickler still runs what they call.
    std::vector<const Value*> stack{root};
    for (const auto& [object, state] : doc.replacedStates) {
        stack.push_back(object);
        stack.push_back(state);
    }
    while (!stack.empty()) {
        const Value* v = stack.back();
        stack.pop_back();
        if (!v || !seen.insert(v).second) continue;
        if (v->kind == ValueKind::Global && v->text == "builtins" && v->text2 == "getattr") return; // as data
        bool memberCall = v->kind == ValueKind::Object && v->callable && v->callable->isGlobal("builtins", "getattr");
        if (memberCall && !isKnownMember(v) && !isKnownNestedClass(v)) return;
        for (const Value* child : {memberCall ? nullptr : v->callable, v->args, v->kwargs, v->state})
            if (child) stack.push_back(child);
        for (const Value* child : v->items)
            stack.push_back(child);
        for (const auto& [key, value] : v->entries) {
            stack.push_back(key);
            stack.push_back(value);
        }
    }
    // Only the getattr of the pickle walked here: one seen inside a payload or another record of the file (`via`)
    // keeps its verdict, and so does its finding.
    for (GlobalRef& g : doc.globals)
        if (g.module == "builtins" && g.name == "getattr" && g.via.empty()) {
            g.severity = Severity::Safe;
            g.reason = "only reads members of known enums (DCP memory format, DeepSpeed ZeroStageEnum) or "
                       "ShardedTensor.ProcessGroupState";
        }
    doc.findings.erase(
        std::remove_if(doc.findings.begin(), doc.findings.end(),
                       [](const Finding& f) { return f.what.rfind("imports builtins.getattr (", 0) == 0; }),
        doc.findings.end());
}

bool zeroStageValue(const Value* value, int64_t& out)
{
    if (intValue(value, out)) return true;
    if (!value || value->kind != ValueKind::Object || !value->callable ||
        !value->callable->isGlobal("builtins", "getattr") || !isKnownMember(value))
        return false;
    const std::string& name = value->args->items[1]->text;
    const char* names[] = {"disabled", "optimizer_states", "gradients", "weights"};
    for (int64_t i = 0; i < 4; ++i)
        if (name == names[i]) {
            out = i;
            return true;
        }
    return false;
}

} // namespace ckpt::distributed

#pragma once

#include <utility>
#include <vector>

#include "core/pickle/value.h"

namespace ckpt
{

// Where the fields of the container objects users pickle live, so the tree shows them as children
// rather than as one rendered string (pickle's object protocol, as CPython's copyreg/collections and
// Lightning write them):
//   dict subclasses (Lightning AttributeDict, OrderedDict subclasses): NEWOBJ, then SETITEMS entries
//   list subclasses: APPENDS items
//   __slots__ classes (dataclass(slots=True)): BUILD (None or __dict__, {slot: value})
//   collections.Counter({...}) and 2.x OrderedDict([[k, v], ...]): the dict/pairs in the call arguments
//   collections.deque([...], maxlen): the list in the call arguments
//   namedtuple-like classes: NEWOBJ(cls, (field values...)) with no state: the arguments, by position
// Objects built from an attribute dict (argparse.Namespace, types.SimpleNamespace, dataclasses, modules)
// are read by the graph walker itself.
struct ObjectFields {
    std::vector<std::pair<const Value*, const Value*>> entries; // key, value
    std::vector<const Value*> items;                            // by position
    bool any() const { return !entries.empty() || !items.empty(); }
};

// Fields beyond the object's attribute dict and its SETITEMS/APPENDS (which the walker reads itself).
ObjectFields constructorFields(const Value* v);
// The slot dict of a (dict-or-None, slots-dict) BUILD state, or nullptr.
const Value* slotState(const Value* v);
// True when the object has fields to show as children (so it is not rendered as one value).
bool hasObjectFields(const Value* v);

} // namespace ckpt

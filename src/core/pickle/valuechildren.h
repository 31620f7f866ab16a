#pragma once

#include "core/pickle/value.h"

namespace ckpt
{

// Calls visit on every value a node refers to directly: callable, arguments, state, items, keys and entries.
// The one list of a node's children, for the walks that must not miss one (payload filter, loader-payload scan).
template <typename Visit> void forEachChild(const Value* value, Visit&& visit)
{
    visit(value->callable);
    visit(value->args);
    visit(value->kwargs);
    visit(value->state);
    for (const Value* item : value->items)
        visit(item);
    for (const auto& [key, entry] : value->entries) {
        visit(key);
        visit(entry);
    }
}

} // namespace ckpt

#pragma once

#include <cstddef>
#include <string_view>

#include "core/graph/graphvisitor.h"
#include "core/pickle/value.h"

namespace ckpt
{

// Whether `text` decodes as UTF-8 the way Python's unpickler decodes BINUNICODE ("surrogatepass": encoded
// surrogates are accepted, overlong forms and bytes that start no character are not).
bool isValidUtf8(std::string_view text);

// The first String reachable from `root` that is not valid UTF-8 (Python raises UnicodeDecodeError on it while
// unpickling), or nullptr. Each value is expanded once under `visitor`, one step each, so only a cancel (or a
// visitor sized for fewer values than the graph has) ends the walk early: `visitor.stopped()` then says the
// answer is incomplete.
const Value* firstUndecodableText(const Value* root, GraphVisitor& visitor);

} // namespace ckpt

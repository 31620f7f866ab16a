#pragma once

#include <string>

#include "core/pickle/value.h"
#include "core/result.h"

namespace ckpt
{

// Writes a Value graph as a protocol-2 pickle, the protocol torch.save uses. Globals become GLOBAL,
// Objects the same REDUCE / NEWOBJ / BUILD sequence they were read from, so Python rebuilds the same
// objects; a node reached twice is written once and fetched from the memo afterwards, so sharing survives.
class Pickler
{
public:
    // The complete pickle (PROTO 2 ... STOP) for `root`; Error for graphs protocol 2 cannot express.
    static Result<std::string> dump(const Value* root);
};

} // namespace ckpt

#pragma once

#include <string>
#include <vector>

#include "core/model/checkpoint.h"
#include "core/pickle/unpickler.h"

namespace ckpt
{

// How risky it would be for a Python unpickler to import `module.name`, and why, in words.
Severity classifyGlobal(const std::string& module, const std::string& name, std::string* reason = nullptr);

// One GlobalRef per distinct global and `via` (first offset, count), classified; appends findings for dangerous
// ones. `via`/`viaLoader`: see GlobalRef (empty for the file's own pickles).
void recordGlobals(Checkpoint& doc, const std::vector<GlobalSeen>& seen, const std::string& via = {},
                   const std::string& viaLoader = {});

} // namespace ckpt

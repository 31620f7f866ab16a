#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "core/analysis/renamerule.h"

namespace ckpt
{

// The rename rule that carries one key list onto another, and how many keys it lands.
struct KeyAlignment {
    RenameRule rule;
    size_t aligned = 0;  // distinct `to` keys hit by rule.apply(from key)
    size_t identity = 0; // the same count for the empty rule, for comparison
};

// Infers the rule that best aligns `from` (checkpoint keys) with `to` (architecture keys): known wrapper
// prefixes, stacked and doubled ones, infix wrapper components, and unknown prefixes found by suffix
// alignment, stripped from `from` and/or added for `to`. The empty rule unless another aligns strictly more.
KeyAlignment alignKeys(const std::vector<std::string>& from, const std::vector<std::string>& to);
// The same over views of keys kept elsewhere, so that a caller need not copy 40,000 keys to align them.
KeyAlignment alignKeyViews(const std::vector<std::string_view>& from, const std::vector<std::string_view>& to);

// Known wrapper prefixes, most specific (stacked) first.
const std::vector<std::string>& knownWrapperPrefixes();

} // namespace ckpt

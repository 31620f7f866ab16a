#pragma once

#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace ckpt
{

// A key rename as data: the architecture match infers one, the user can write one on the command line,
// and the exporter applies it. Applied in this order: strip leading prefixes (each once, in order, only
// if present), drop infix wrapper components, then add prefixes.
struct RenameRule {
    std::vector<std::string> stripPrefixes;  // "module.", "_orig_mod.", "model." ...
    std::vector<std::string> dropComponents; // "module" removes "features.module.0.w" -> "features.0.w"
    std::vector<std::string> addPrefixes;    // "module."

    bool empty() const { return stripPrefixes.empty() && dropComponents.empty() && addPrefixes.empty(); }
    std::string apply(const std::string& key) const;
    // In words: "remove `module.` (DataParallel/DDP wrapper)".
    std::string describe() const;
    nlohmann::json toJson() const; // {"strip": [...], "drop_components": [...], "add": [...], "text": "..."}
};

// What a known wrapper prefix comes from ("module." -> "DataParallel/DDP wrapper"), or "".
std::string wrapperOrigin(const std::string& prefix);

} // namespace ckpt

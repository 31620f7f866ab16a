#pragma once

#include <string>
#include <utility>
#include <vector>

#include "core/result.h"

namespace ckpt
{

// How storage location tags (and torch.device objects) are rewritten on export: everything to one
// device ("cpu", "cuda:0") or pairwise ("cuda:3=cuda:0,cuda:1=cpu"; "cuda:*" matches every CUDA tag).
class LocationMap
{
public:
    // Parses the --map-location text; Error (Status::Unsupported) for a malformed device name.
    static Result<LocationMap> parse(const std::string& spec);

    bool empty() const { return m_all.empty() && m_pairs.empty(); }
    // The tag a location becomes; unchanged when no rule matches.
    std::string map(const std::string& location) const;
    // "cuda:* -> cpu" style, for plans and reports.
    std::string describe() const;

private:
    std::string m_all;
    std::vector<std::pair<std::string, std::string>> m_pairs;
};

} // namespace ckpt

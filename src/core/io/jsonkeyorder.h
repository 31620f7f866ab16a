#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace ckpt
{

// A JSON document and the file order of the members of one of its objects.
struct JsonWithOrder {
    nlohmann::json doc;
    std::vector<std::string> order; // each distinct member name once, where it first appears
};

// Parses untrusted `text` into plain nlohmann::json (a tree map: n log n) and, in a second SAX pass that builds
// nothing, records the order of the members of the top-level object (`member` empty) or of the top-level object's
// member `member`. nlohmann::ordered_json keeps order by searching a vector on every insert, which made a
// 150,000-key safetensors header quadratic. Returns nullopt when the text is not JSON.
std::optional<JsonWithOrder> parseJsonKeepingOrder(std::string_view text, const std::string& member = {});

} // namespace ckpt

#include "core/io/jsonkeyorder.h"

#include <unordered_set>

namespace ckpt
{

std::optional<JsonWithOrder> parseJsonKeepingOrder(std::string_view text, const std::string& member)
{
    using Json = nlohmann::json;
    JsonWithOrder out;
    // The parser reports each key with the depth of the object that holds it (1 = the top-level object).
    const int wantedDepth = member.empty() ? 1 : 2;
    bool inMember = member.empty();
    auto record = [&](int depth, Json::parse_event_t event, Json& parsed) {
        if (event != Json::parse_event_t::key) return true;
        if (!member.empty() && depth == 1) {
            // A repeated member replaces the earlier one, in the document and here.
            inMember = parsed.get_ref<const std::string&>() == member;
            if (inMember) out.order.clear();
        } else if (depth == wantedDepth && inMember) {
            out.order.push_back(parsed.get_ref<const std::string&>());
        }
        return true;
    };
    out.doc = Json::parse(text, record, /*allow_exceptions=*/false);
    if (out.doc.is_discarded()) return std::nullopt;
    std::unordered_set<std::string_view> seen;
    std::vector<std::string> distinct;
    distinct.reserve(out.order.size());
    for (std::string& key : out.order) { // `distinct` never reallocates (reserved), so the views stay valid
        if (seen.count(key)) continue;
        distinct.push_back(std::move(key));
        seen.insert(distinct.back());
    }
    out.order = std::move(distinct);
    return out;
}

} // namespace ckpt

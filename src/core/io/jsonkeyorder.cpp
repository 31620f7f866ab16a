#include "core/io/jsonkeyorder.h"

#include <unordered_set>

namespace ckpt
{

namespace
{

// A SAX pass that builds nothing and only notes member names at one depth. nlohmann's parse-with-callback cannot
// serve: after every nested object it scans its parent's members for discarded values, quadratic in a header of
// 150,000 objects.
class KeyOrderSax
{
public:
    using Json = nlohmann::json;
    KeyOrderSax(const std::string& member, std::vector<std::string>& order) : m_member(member), m_order(order) {}

    bool null() { return true; }
    bool boolean(bool) { return true; }
    bool number_integer(Json::number_integer_t) { return true; }
    bool number_unsigned(Json::number_unsigned_t) { return true; }
    bool number_float(Json::number_float_t, const Json::string_t&) { return true; }
    bool string(Json::string_t&) { return true; }
    bool binary(Json::binary_t&) { return true; }
    bool start_object(std::size_t)
    {
        ++m_depth;
        return true;
    }
    bool end_object()
    {
        --m_depth;
        return true;
    }
    bool start_array(std::size_t)
    {
        ++m_depth;
        return true;
    }
    bool end_array()
    {
        --m_depth;
        return true;
    }
    bool key(Json::string_t& name)
    {
        if (m_member.empty()) {
            if (m_depth == 1) m_order.push_back(name);
        } else if (m_depth == 1) {
            // A repeated member replaces the earlier one, in the document and here.
            m_inMember = name == m_member;
            if (m_inMember) m_order.clear();
        } else if (m_depth == 2 && m_inMember) {
            m_order.push_back(name);
        }
        return true;
    }
    bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) { return false; }

private:
    const std::string& m_member;
    std::vector<std::string>& m_order;
    int m_depth = 0;
    bool m_inMember = false;
};

} // namespace

std::optional<JsonWithOrder> parseJsonKeepingOrder(std::string_view text, const std::string& member)
{
    using Json = nlohmann::json;
    JsonWithOrder out;
    out.doc = Json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (out.doc.is_discarded()) return std::nullopt;
    KeyOrderSax sax(member, out.order);
    if (!Json::sax_parse(text, &sax)) return std::nullopt;
    // Each distinct name once, where it first appears (the document keeps the parser's choice of value).
    std::unordered_set<std::string_view> seen;
    seen.reserve(out.order.size());
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

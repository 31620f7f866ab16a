#include "core/edit/locationmap.h"

#include <cctype>

namespace ckpt
{

namespace
{

// A device tag as torch writes them: a backend name, optionally ":index" ("cpu", "cuda:3", "hpu:0").
bool validDevice(const std::string& text, bool allowWildcard)
{
    size_t colon = text.find(':');
    std::string backend = text.substr(0, colon);
    if (backend.empty()) return false;
    for (char c : backend)
        if (!std::islower(static_cast<unsigned char>(c)) && !std::isdigit(static_cast<unsigned char>(c)) && c != '_')
            return false;
    if (colon == std::string::npos) return true;
    std::string index = text.substr(colon + 1);
    if (allowWildcard && index == "*") return true;
    if (index.empty() || index.size() > 6) return false;
    for (char c : index)
        if (!std::isdigit(static_cast<unsigned char>(c))) return false;
    return true;
}

std::string trim(const std::string& text)
{
    size_t begin = text.find_first_not_of(" \t");
    size_t end = text.find_last_not_of(" \t");
    return begin == std::string::npos ? std::string() : text.substr(begin, end - begin + 1);
}

bool matches(const std::string& pattern, const std::string& location)
{
    if (pattern == location) return true;
    size_t colon = pattern.find(':');
    if (colon != std::string::npos && pattern.compare(colon, std::string::npos, ":*") == 0) {
        std::string backend = pattern.substr(0, colon);
        return location == backend || location.compare(0, backend.size() + 1, backend + ":") == 0;
    }
    return false;
}

} // namespace

Result<LocationMap> LocationMap::parse(const std::string& spec)
{
    LocationMap map;
    std::string text = trim(spec);
    if (text.empty()) return map;
    if (text.find('=') == std::string::npos) {
        if (!validDevice(text, false))
            return makeError(Status::Unsupported, "`" + text + "` is not a device (expected cpu, cuda:N or SRC=DST)");
        map.m_all = text;
        return map;
    }
    size_t start = 0;
    while (start <= text.size()) {
        size_t comma = text.find(',', start);
        std::string pair = trim(text.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
        size_t eq = pair.find('=');
        if (eq == std::string::npos) return makeError(Status::Unsupported, "`" + pair + "` is not a SRC=DST pair");
        std::string from = trim(pair.substr(0, eq));
        std::string to = trim(pair.substr(eq + 1));
        if (!validDevice(from, true)) return makeError(Status::Unsupported, "`" + from + "` is not a device");
        if (!validDevice(to, false)) return makeError(Status::Unsupported, "`" + to + "` is not a device");
        map.m_pairs.emplace_back(from, to);
        if (comma == std::string::npos) break;
        start = comma + 1;
    }
    return map;
}

std::string LocationMap::map(const std::string& location) const
{
    if (!m_all.empty()) return m_all;
    for (const auto& [from, to] : m_pairs)
        if (matches(from, location)) return to;
    return location;
}

std::string LocationMap::describe() const
{
    if (!m_all.empty()) return "every location -> " + m_all;
    if (m_pairs.empty()) return "keep every location";
    std::string text;
    for (const auto& [from, to] : m_pairs)
        text += (text.empty() ? "" : ", ") + from + " -> " + to;
    return text;
}

} // namespace ckpt

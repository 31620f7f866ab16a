#include "core/analysis/architecturespec.h"

#include <optional>
#include <unordered_map>

#include <nlohmann/json.hpp>

#include "core/io/jsonvaluebuilder.h"
#include "core/limits.h"

namespace ckpt
{

namespace
{

// Plain json values, not ordered_json: ordered_json finds and inserts members by a linear search, which made a
// 40,000-key list take seconds.
using Json = nlohmann::json;

Result<std::vector<int64_t>> parseShape(const Json& value, const std::string& key)
{
    if (!value.is_array()) return makeError(Status::Corrupt, "the shape of '" + key + "' is not an array of integers");
    if (value.size() > limits::kMaxTensorRank)
        return makeError(Status::LimitExceeded, "the shape of '" + key + "' has " + std::to_string(value.size()) +
                                                    " dimensions, more than the limit of " +
                                                    std::to_string(limits::kMaxTensorRank) + " (kMaxTensorRank)");
    std::vector<int64_t> shape;
    shape.reserve(value.size());
    for (const Json& dim : value) {
        // Accept 3.0 as 3 would hide a typo; JSON from a Python dump always has integer sizes.
        if (!dim.is_number_integer() || dim.get<int64_t>() < 0)
            return makeError(Status::Corrupt,
                             "the shape of '" + key + "' has " + dim.dump() + ", not a non-negative integer size");
        shape.push_back(dim.get<int64_t>());
    }
    return shape;
}

Result<ArchEntry> parseEntry(const std::string& key, const Json& value)
{
    ArchEntry entry;
    entry.key = key;
    // A bare shape (the README's one-line dump) says nothing about the dtype; Unknown keeps a matcher from
    // reporting int64 buffers such as num_batches_tracked as dtype mismatches.
    entry.dtype = DType::Unknown;
    const Json* shapeValue = &value;
    if (value.is_object()) {
        auto shapeIt = value.find("shape");
        if (shapeIt == value.end()) return makeError(Status::Corrupt, "the entry for '" + key + "' has no \"shape\"");
        shapeValue = &*shapeIt;
        auto dtypeIt = value.find("dtype");
        if (dtypeIt != value.end()) {
            if (!dtypeIt->is_string()) return makeError(Status::Corrupt, "the dtype of '" + key + "' is not a string");
            std::string name = dtypeIt->get<std::string>();
            // str(tensor.dtype) in Python is "torch.float32"; accept it so a one-line dump needs no cleanup.
            if (name.rfind("torch.", 0) == 0) name.erase(0, 6);
            std::optional<DType> dtype = dtypeFromTorchName(name);
            if (!dtype)
                return makeError(Status::Corrupt, "the dtype of '" + key + "' is '" + dtypeIt->get<std::string>() +
                                                      "', not a torch dtype name");
            entry.dtype = *dtype;
        }
    }
    Result<std::vector<int64_t>> shape = parseShape(*shapeValue, key);
    if (!shape) return shape.error();
    entry.shape = std::move(shape).value();
    return entry;
}

// One pass over the text that keeps only the members of the top-level "keys" object, each value built whole (a
// shape or {"shape", "dtype"}: a few numbers), in file order. nlohmann's parse callback, used before, rescans a
// parent's members after every nested object it ends: quadratic when "keys" holds 100,000 objects.
// As a DOM parse reads it: a key repeated in the text keeps its first place and its last value; a repeated
// top-level "keys" replaces the earlier one. Nesting deeper than kMaxSpecJsonDepth stops the parse.
class KeysSax
{
public:
    bool null() { return scalar(Json(nullptr)); }
    bool boolean(bool value) { return scalar(Json(value)); }
    bool number_integer(Json::number_integer_t value) { return scalar(Json(value)); }
    bool number_unsigned(Json::number_unsigned_t value) { return scalar(Json(value)); }
    bool number_float(Json::number_float_t value, const Json::string_t&) { return scalar(Json(value)); }
    bool string(Json::string_t& value) { return scalar(Json(std::move(value))); }
    bool binary(Json::binary_t&) { return scalar(Json()); } // JSON text never has binary values
    bool start_object(std::size_t) { return open(Json::value_t::object); }
    bool start_array(std::size_t) { return open(Json::value_t::array); }
    bool end_object() { return close(); }
    bool end_array() { return close(); }

    bool key(Json::string_t& name)
    {
        if (m_depth == 1) {
            m_inKeys = name == "keys";
            if (m_inKeys) {
                m_sawKeys = true;
                m_keysIsObject = false;
                m_order.clear();
                m_values.clear();
                m_index.clear();
            }
        } else if (m_depth == 2 && collecting()) {
            auto [at, fresh] = m_index.try_emplace(name, m_values.size());
            if (fresh) {
                m_order.push_back(name);
                m_values.emplace_back();
            }
            m_entry = at->second;
        } else if (m_value.building()) {
            m_value.key(std::move(name));
        }
        return true;
    }

    bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) { return false; }

    std::optional<Error> error() const
    {
        if (m_tooDeep)
            return makeError(Status::LimitExceeded, "the JSON nests deeper than the limit kMaxSpecJsonDepth (" +
                                                        std::to_string(limits::kMaxSpecJsonDepth) + ")");
        if (!m_topIsObject)
            return makeError(Status::Corrupt, "the JSON document is not an object with a \"keys\" member");
        if (!m_sawKeys) return makeError(Status::Corrupt, "the JSON object has no \"keys\" member");
        if (!m_keysIsObject) return makeError(Status::Corrupt, "\"keys\" is not an object of key -> shape");
        return std::nullopt;
    }
    bool tooDeep() const { return m_tooDeep; }

    // The members of "keys": each name once, in file order, with its last value.
    const std::vector<std::string>& order() const { return m_order; }
    const Json& value(size_t i) const { return m_values[i]; }

private:
    bool collecting() const { return m_inKeys && m_keysIsObject; }

    bool open(Json::value_t type)
    {
        if (m_depth == 0) m_topIsObject = type == Json::value_t::object;
        if (m_depth == 1 && m_inKeys) m_keysIsObject = type == Json::value_t::object;
        if (m_depth >= 2 && collecting()) m_value.open(type);
        if (++m_depth > limits::kMaxSpecJsonDepth) {
            m_tooDeep = true;
            return false;
        }
        return true;
    }

    bool close()
    {
        --m_depth;
        if (m_depth >= 2 && collecting() && m_value.close()) m_values[m_entry] = m_value.take();
        return true;
    }

    bool scalar(Json value)
    {
        if (m_depth == 0) m_topIsObject = false;
        if (m_depth == 1 && m_inKeys) m_keysIsObject = false;
        if (m_depth >= 2 && collecting() && m_value.scalar(std::move(value))) m_values[m_entry] = m_value.take();
        return true;
    }

    size_t m_depth = 0;
    bool m_tooDeep = false;
    bool m_topIsObject = false;
    bool m_inKeys = false;
    bool m_sawKeys = false;
    bool m_keysIsObject = false;
    size_t m_entry = 0;
    std::vector<std::string> m_order;
    std::vector<Json> m_values;
    std::unordered_map<std::string, size_t> m_index;
    JsonValueBuilder m_value; // the "keys" member being read
};

} // namespace

Result<ArchitectureSpec> architectureFromJson(const std::string& text, const std::string& name)
{
    KeysSax sax;
    if (!Json::sax_parse(text, &sax) && !sax.tooDeep()) return makeError(Status::Corrupt, "not valid JSON");
    if (std::optional<Error> error = sax.error()) return *error;

    ArchitectureSpec spec;
    spec.name = name;
    spec.source = "json";
    spec.entries.reserve(sax.order().size());
    for (size_t i = 0; i < sax.order().size(); ++i) {
        Result<ArchEntry> entry = parseEntry(sax.order()[i], sax.value(i));
        if (!entry) return entry.error();
        spec.entries.push_back(std::move(entry).value());
    }
    return spec;
}

} // namespace ckpt

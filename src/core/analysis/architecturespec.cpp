#include "core/analysis/architecturespec.h"

#include <algorithm>
#include <unordered_set>

#include <nlohmann/json.hpp>

#include "core/limits.h"

namespace ckpt
{

namespace
{

// Plain json (objects in a sorted map), not ordered_json: ordered_json finds and inserts members by a linear
// search, which made a 40,000-key list take seconds. The file order of "keys" is recorded while parsing.
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

// The members of the top-level "keys" object in file order, as the parser passes them: a key repeated in the
// text keeps its first place (and, as the parser decides, its last value), as ordered_json did.
class KeyOrderRecorder
{
public:
    bool operator()(int depth, Json::parse_event_t event, const Json& parsed)
    {
        if (event != Json::parse_event_t::key) return true;
        if (depth == 1) {
            // A repeated top-level "keys" replaces the earlier one, in the document and here.
            m_inKeys = parsed.get_ref<const std::string&>() == "keys";
            if (m_inKeys) m_order.clear();
        } else if (depth == 2 && m_inKeys) {
            m_order.push_back(parsed.get<std::string>());
        }
        return true;
    }

    std::vector<std::string> takeOrder(size_t distinct)
    {
        if (m_order.size() != distinct) {
            std::unordered_set<std::string> seen;
            auto repeated = [&seen](const std::string& key) { return !seen.insert(key).second; };
            m_order.erase(std::remove_if(m_order.begin(), m_order.end(), repeated), m_order.end());
        }
        return std::move(m_order);
    }

private:
    bool m_inKeys = false;
    std::vector<std::string> m_order;
};

} // namespace

Result<ArchitectureSpec> architectureFromJson(const std::string& text, const std::string& name)
{
    KeyOrderRecorder recorder;
    Json doc = Json::parse(
        text,
        [&recorder](int depth, Json::parse_event_t event, Json& parsed) { return recorder(depth, event, parsed); },
        /*allow_exceptions=*/false);
    if (doc.is_discarded()) return makeError(Status::Corrupt, "not valid JSON");
    if (!doc.is_object())
        return makeError(Status::Corrupt, "the JSON document is not an object with a \"keys\" member");
    auto keys = doc.find("keys");
    if (keys == doc.end()) return makeError(Status::Corrupt, "the JSON object has no \"keys\" member");
    if (!keys->is_object()) return makeError(Status::Corrupt, "\"keys\" is not an object of key -> shape");

    ArchitectureSpec spec;
    spec.name = name;
    spec.source = "json";
    spec.entries.reserve(keys->size());
    for (const std::string& key : recorder.takeOrder(keys->size())) {
        Result<ArchEntry> entry = parseEntry(key, keys->at(key));
        if (!entry) return entry.error();
        spec.entries.push_back(std::move(entry).value());
    }
    return spec;
}

} // namespace ckpt

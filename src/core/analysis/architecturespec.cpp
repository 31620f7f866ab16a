#include "core/analysis/architecturespec.h"

#include <nlohmann/json.hpp>

#include "core/limits.h"

namespace ckpt
{

namespace
{

using Json = nlohmann::ordered_json;

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

} // namespace

Result<ArchitectureSpec> architectureFromJson(const std::string& text, const std::string& name)
{
    Json doc = Json::parse(text, nullptr, /*allow_exceptions=*/false);
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
    for (auto it = keys->begin(); it != keys->end(); ++it) {
        Result<ArchEntry> entry = parseEntry(it.key(), it.value());
        if (!entry) return entry.error();
        spec.entries.push_back(std::move(entry).value());
    }
    return spec;
}

} // namespace ckpt

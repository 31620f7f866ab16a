#include "core/analysis/architecturecatalog.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <tuple>

#include <nlohmann/json.hpp>
#include <zlib.h>

#include "catalogblob.h"
#include "core/limits.h"

namespace ckpt
{

namespace
{

// The embedded catalog is ~1 MB of JSON; anything far larger (kMaxCatalogJsonBytes) means the blob is not what
// we committed.
constexpr int kCatalogFormat = 1;
constexpr size_t kMaxSuggestions = 3;

struct CatalogModel {
    std::vector<ArchEntry> entries;
    std::string arguments;
};

struct Catalog {
    std::string version;
    std::map<std::string, CatalogModel> models;
    Error error; // set when the embedded data could not be read; models is then empty
};

Result<std::string> inflateBlob(const unsigned char* data, size_t size)
{
    z_stream stream{};
    if (inflateInit(&stream) != Z_OK)
        return makeError(Status::Corrupt, "the built-in catalog could not be decompressed (zlib init failed)");
    stream.next_in = const_cast<unsigned char*>(data); // zlib's API is not const-correct; it never writes input
    stream.avail_in = static_cast<uInt>(size);
    std::string out;
    char buffer[1 << 16];
    int rc = Z_OK;
    while (rc != Z_STREAM_END) {
        stream.next_out = reinterpret_cast<unsigned char*>(buffer);
        stream.avail_out = sizeof(buffer);
        rc = inflate(&stream, Z_NO_FLUSH);
        if (rc != Z_OK && rc != Z_STREAM_END) {
            inflateEnd(&stream);
            return makeError(Status::Corrupt,
                             "the built-in catalog is damaged (zlib error " + std::to_string(rc) + ")");
        }
        out.append(buffer, sizeof(buffer) - stream.avail_out);
        if (out.size() > limits::kMaxCatalogJsonBytes) {
            inflateEnd(&stream);
            return makeError(Status::LimitExceeded, "the built-in catalog inflates beyond 64 MiB");
        }
        if (rc == Z_OK && stream.avail_in == 0 && stream.avail_out != 0) {
            inflateEnd(&stream);
            return makeError(Status::Truncated, "the built-in catalog ends before its zlib stream does");
        }
    }
    inflateEnd(&stream);
    return out;
}

// Plain (sorted-object) JSON parses the ~1 MB catalog in half the time of ordered_json; nothing in the
// catalog relies on object order (keys and arguments are arrays).
using Json = nlohmann::json;

std::string formatArguments(const Json& args)
{
    std::string text;
    for (const Json& pair : args) {
        if (!text.empty()) text += ", ";
        const Json& value = pair.at(1);
        // Written as the Python call would be.
        std::string shown = value.is_boolean() ? (value.get<bool>() ? "True" : "False") : value.dump();
        text += pair.at(0).get<std::string>() + "=" + shown;
    }
    return text;
}

// Undoes the generator's front coding: each key is [shared prefix length, suffix, shape, dtype index?].
CatalogModel decodeModel(const Json& model, const std::vector<DType>& dtypes)
{
    CatalogModel result;
    result.arguments = formatArguments(model.at("args"));
    const Json& keys = model.at("keys");
    result.entries.reserve(keys.size());
    std::string previous;
    for (const Json& item : keys) {
        ArchEntry entry;
        size_t shared = item.at(0).get<size_t>();
        entry.key = previous.substr(0, shared) + item.at(1).get<std::string>();
        entry.shape = item.at(2).get<std::vector<int64_t>>();
        entry.dtype = dtypes.at(item.size() > 3 ? item.at(3).get<size_t>() : 0);
        previous = entry.key;
        result.entries.push_back(std::move(entry));
    }
    return result;
}

Catalog loadCatalog()
{
    Catalog catalog;
    Result<std::string> text = inflateBlob(catalogblob::kData, catalogblob::kSize);
    if (!text) {
        catalog.error = text.error();
        return catalog;
    }
    // The blob is our own build output, so a malformed one is a build defect; nlohmann's exceptions are
    // caught here and turned into the one error every later call reports.
    try {
        Json doc = Json::parse(text.value());
        if (doc.at("format").get<int>() != kCatalogFormat)
            throw std::runtime_error("format " + doc.at("format").dump() + " is not the supported format 1");
        std::vector<DType> dtypes;
        for (const Json& name : doc.at("dtypes")) {
            std::optional<DType> dtype = dtypeFromTorchName(name.get<std::string>());
            if (!dtype) throw std::runtime_error("unknown dtype " + name.dump());
            dtypes.push_back(*dtype);
        }
        catalog.version = "torchvision " + doc.at("torchvision").get<std::string>();
        for (auto it = doc.at("models").begin(); it != doc.at("models").end(); ++it)
            catalog.models.emplace(it.key(), decodeModel(it.value(), dtypes));
    } catch (const std::exception& e) {
        catalog.models.clear();
        catalog.error = makeError(Status::Corrupt, std::string("the built-in catalog is damaged: ") + e.what());
    }
    return catalog;
}

// A function-local static is initialised exactly once even when several threads ask at the same time.
const Catalog& catalog()
{
    static const Catalog instance = loadCatalog();
    return instance;
}

std::string lowered(const std::string& text)
{
    std::string out = text;
    std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
    return out;
}

size_t editDistance(const std::string& a, const std::string& b)
{
    std::vector<size_t> row(b.size() + 1);
    for (size_t j = 0; j <= b.size(); ++j)
        row[j] = j;
    for (size_t i = 1; i <= a.size(); ++i) {
        size_t diagonal = row[0];
        row[0] = i;
        for (size_t j = 1; j <= b.size(); ++j) {
            size_t above = row[j];
            row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
            diagonal = above;
        }
    }
    return row[b.size()];
}

// Names within a small edit distance, or that start with what was typed ("efficientnet" -> the b0..b7
// family), closest first; among equals, the longer shared prefix wins, so "resnet19" suggests resnet18
// and resnet101 before resnet34.
std::vector<std::string> closeNames(const std::string& query)
{
    const std::string typed = lowered(query);
    const size_t threshold = std::max<size_t>(2, typed.size() / 3);
    std::vector<std::tuple<size_t, size_t, std::string>> ranked;
    for (const auto& [name, model] : catalog().models) {
        size_t distance = editDistance(typed, name);
        bool extends = !typed.empty() && name.rfind(typed, 0) == 0;
        if (distance > threshold && !extends) continue;
        size_t shared = 0;
        while (shared < typed.size() && shared < name.size() && typed[shared] == name[shared])
            ++shared;
        ranked.emplace_back(extends ? 0 : distance, typed.size() - shared, name);
    }
    std::sort(ranked.begin(), ranked.end());
    // Only the case was wrong: that one name is the answer, the others would be noise.
    if (!ranked.empty() && std::get<0>(ranked.front()) == 0 && editDistance(typed, std::get<2>(ranked.front())) == 0)
        ranked.resize(1);
    std::vector<std::string> names;
    for (size_t i = 0; i < ranked.size() && i < kMaxSuggestions; ++i)
        names.push_back(std::get<2>(ranked[i]));
    return names;
}

} // namespace

std::vector<std::string> catalogNames()
{
    std::vector<std::string> names;
    names.reserve(catalog().models.size());
    for (const auto& entry : catalog().models)
        names.push_back(entry.first); // std::map keeps them sorted
    return names;
}

Result<ArchitectureSpec> catalogSpec(const std::string& name)
{
    const Catalog& data = catalog();
    if (data.models.empty()) return data.error;
    auto it = data.models.find(name);
    if (it == data.models.end()) {
        std::string detail = "no built-in architecture '" + name + "'";
        std::vector<std::string> close = closeNames(name);
        for (size_t i = 0; i < close.size(); ++i)
            detail += (i == 0 ? "; did you mean " : ", ") + close[i];
        detail += close.empty() ? " (`ckpt arch list` shows them all)" : "?";
        return makeError(Status::Unsupported, detail);
    }
    ArchitectureSpec spec;
    spec.name = name;
    spec.source = "builtin";
    spec.entries = it->second.entries;
    return spec;
}

std::string catalogVersion()
{
    return catalog().version;
}

std::string catalogModelArguments(const std::string& name)
{
    auto it = catalog().models.find(name);
    return it == catalog().models.end() ? std::string() : it->second.arguments;
}

} // namespace ckpt

#include "core/edit/safetensorswriter.h"

#include <algorithm>
#include <cstring>
#include <optional>
#include <string_view>
#include <unordered_set>

#include <nlohmann/json.hpp>
#include <xxhash.h>

namespace ckpt
{

namespace
{

constexpr uint64_t kChunk = 4ull << 20;

uint64_t elementCount(const std::vector<int64_t>& shape)
{
    uint64_t count = 1;
    for (int64_t dim : shape)
        count *= static_cast<uint64_t>(dim);
    return count;
}

} // namespace

bool isRowMajor(const std::vector<int64_t>& shape, const std::vector<int64_t>& stride)
{
    if (stride.size() != shape.size()) return stride.empty() && shape.empty();
    // An empty view is row-major whatever its strides; checked first, so the products below never meet a 0 after
    // an extreme dimension from a hostile file.
    if (std::find(shape.begin(), shape.end(), 0) != shape.end()) return true;
    int64_t expected = 1;
    for (size_t i = shape.size(); i-- > 0;) {
        if (shape[i] != 1 && stride[i] != expected) return false;
        if (__builtin_mul_overflow(expected, shape[i], &expected)) return false; // no storage holds such a view
    }
    return true;
}

// Copies a strided view one element at a time; views are small next to the storages they slice.
void gatherStrided(const uint8_t* data, const std::vector<int64_t>& shape, const std::vector<int64_t>& stride,
                   size_t elementSize, std::string& out)
{
    size_t rank = shape.size();
    std::vector<int64_t> index(rank, 0);
    uint64_t count = elementCount(shape);
    out.resize(count * elementSize);
    char* target = out.data();
    for (uint64_t n = 0; n < count; ++n) {
        int64_t offset = 0;
        for (size_t d = 0; d < rank; ++d)
            offset += index[d] * stride[d];
        std::memcpy(target, data + offset * static_cast<int64_t>(elementSize), elementSize);
        target += elementSize;
        for (size_t d = rank; d-- > 0;) {
            if (++index[d] < shape[d]) break;
            index[d] = 0;
        }
    }
}

VoidResult SafetensorsWriter::write(ZipWriterSink& sink, const std::vector<SafetensorsTensor>& tensors,
                                    const std::map<std::string, std::string>& metadata, std::vector<uint64_t>* hashes,
                                    const Progress* progress)
{
    // The header is written member by member in the tensors' order: nlohmann::ordered_json would keep that order
    // by a linear search per insert (quadratic for 100,000 tensors). Names are dumped strictly: a name that is
    // not UTF-8 cannot be a safetensors key, and is refused rather than silently changed.
    auto quoted = [](const std::string& textIn) -> std::optional<std::string> {
        try {
            return nlohmann::json(textIn).dump(-1, ' ', false, nlohmann::json::error_handler_t::strict);
        } catch (const nlohmann::json::exception&) {
            return std::nullopt;
        }
    };
    nlohmann::json meta = nlohmann::json::object();
    for (const auto& [key, value] : metadata)
        meta[key] = value;
    std::string text = "{\"__metadata__\":" + meta.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    std::unordered_set<std::string_view> names;
    names.reserve(tensors.size());
    uint64_t offset = 0;
    uint64_t total = 0;
    for (const SafetensorsTensor& tensor : tensors) {
        std::optional<std::string_view> name = safetensorsName(tensor.dtype);
        if (!name)
            return makeError(Status::Refused, "tensor `" + tensor.name + "` has dtype " +
                                                  std::string(dtypeName(tensor.dtype)) +
                                                  ", which the safetensors format cannot hold");
        if (tensor.name == "__metadata__" || !names.insert(tensor.name).second)
            return makeError(Status::Refused, "two tensors are both named `" + tensor.name + "`");
        if (!tensor.data && elementCount(tensor.shape) > 0)
            return makeError(Status::Unsupported, "tensor `" + tensor.name + "` has no bytes to write");
        std::optional<std::string> key = quoted(tensor.name);
        if (!key) return makeError(Status::Refused, "tensor name `" + tensor.name + "` is not valid UTF-8");
        uint64_t size = elementCount(tensor.shape) * dtypeElementSize(tensor.dtype);
        // Members in the order safetensors' own writer uses (dtype, shape, data_offsets).
        text += "," + *key + ":{\"dtype\":" + nlohmann::json(std::string(*name)).dump() +
                ",\"shape\":" + nlohmann::json(tensor.shape).dump() + ",\"data_offsets\":[" + std::to_string(offset) +
                "," + std::to_string(offset + size) + "]}";
        offset += size;
    }
    text += "}";
    total = offset;
    text.append((8 - text.size() % 8) % 8, ' '); // the buffer starts 8-aligned after the u64 length
    uint64_t length = text.size();
    char prefix[8];
    for (int i = 0; i < 8; ++i)
        prefix[i] = static_cast<char>((length >> (8 * i)) & 0xff);
    if (auto done = sink.write(prefix, 8); !done) return done;
    if (auto done = sink.write(text.data(), text.size()); !done) return done;

    if (hashes) hashes->assign(tensors.size(), 0);
    uint64_t written = 0;
    std::string gathered;
    for (size_t i = 0; i < tensors.size(); ++i) {
        const SafetensorsTensor& tensor = tensors[i];
        size_t elementSize = dtypeElementSize(tensor.dtype);
        uint64_t size = elementCount(tensor.shape) * elementSize;
        const uint8_t* bytes = tensor.data;
        if (size > 0 && !isRowMajor(tensor.shape, tensor.stride)) {
            gatherStrided(tensor.data, tensor.shape, tensor.stride, elementSize, gathered);
            bytes = reinterpret_cast<const uint8_t*>(gathered.data());
        }
        XXH3_state_t* state = XXH3_createState();
        XXH3_64bits_reset(state);
        VoidResult result = Done{};
        for (uint64_t at = 0; at < size; at += kChunk) {
            uint64_t length = std::min(kChunk, size - at);
            XXH3_64bits_update(state, bytes + at, length);
            result = sink.write(bytes + at, length);
            if (!result) break;
            written += length;
            if (progress) {
                if (progress->cancelled()) {
                    result = makeError(Status::Cancelled, "the export was cancelled");
                    break;
                }
                progress->tick(written, total);
            }
        }
        if (hashes) (*hashes)[i] = XXH3_64bits_digest(state);
        XXH3_freeState(state);
        if (!result) return result;
    }
    return Done{};
}

} // namespace ckpt

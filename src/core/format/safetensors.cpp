// safetensors: u64 LE header length, JSON header {name: {dtype, shape, data_offsets}}, then the buffer.
#include <nlohmann/json.hpp>

#include "core/format/formatloaders.h"
#include "core/io/bytereader.h"
#include "core/io/jsonkeyorder.h"
#include "core/limits.h"

namespace ckpt
{

Result<std::unique_ptr<Checkpoint>> loadSafetensors(MappedFilePtr file, const Progress& progress)
{
    ByteReader reader(file->data(), file->size());
    uint64_t headerSize = 0;
    if (!reader.readLE(headerSize)) return makeError(Status::Truncated, "safetensors file is shorter than 8 bytes");
    if (headerSize > limits::kMaxSafetensorsHeaderBytes)
        return makeError(Status::LimitExceeded,
                         "safetensors header of " + std::to_string(headerSize) +
                             " bytes is over the limit kMaxSafetensorsHeaderBytes",
                         0);
    std::string_view headerText;
    if (!reader.readBytes(headerSize, headerText))
        return makeError(Status::Truncated, "safetensors header runs past the end of the file", 8);
    const uint64_t bufferStart = 8 + headerSize;
    const uint64_t bufferSize = file->size() - bufferStart;

    std::optional<JsonWithOrder> parsed = parseJsonKeepingOrder(headerText);
    if (!parsed || !parsed->doc.is_object())
        return makeError(Status::Corrupt, "safetensors header is not a JSON object", 8);
    const nlohmann::json& header = parsed->doc;

    auto doc = std::make_unique<Checkpoint>();
    doc->file = file->path();
    doc->fileSize = file->size();
    doc->files.push_back(file);
    doc->format = Format::Safetensors;
    doc->kind = Kind::StateDict;
    WeightSet set;
    doc->storages.reserve(parsed->order.size());
    doc->tensors.reserve(parsed->order.size());
    set.entries.reserve(parsed->order.size());
    for (const std::string& name : parsed->order) { // file order, as safetensors' own readers list tensors
        const auto& entry = header.at(name);
        if (name == "__metadata__") {
            if (entry.is_object())
                for (auto m = entry.begin(); m != entry.end(); ++m)
                    doc->metadata[m.key()] =
                        m.value().is_string()
                            ? m.value().get<std::string>()
                            : m.value().dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
            continue;
        }
        auto bad = [&](const std::string& why) {
            return makeError(Status::Corrupt, "safetensors tensor '" + name + "' " + why, 8);
        };
        if (!entry.is_object() || !entry.contains("dtype") || !entry.contains("shape") ||
            !entry.contains("data_offsets"))
            return bad("lacks dtype, shape or data_offsets");
        if (!entry["dtype"].is_string()) return bad("has a non-string dtype");
        auto dtype = dtypeFromSafetensors(entry["dtype"].get<std::string>());
        if (!dtype)
            return makeError(
                Status::Unsupported,
                "safetensors tensor '" + name + "' has unsupported dtype " + entry["dtype"].get<std::string>(), 8);
        const auto& shape = entry["shape"];
        const auto& offsets = entry["data_offsets"];
        if (!shape.is_array() || shape.size() > limits::kMaxTensorRank) return bad("has a bad shape");
        if (!offsets.is_array() || offsets.size() != 2 || !offsets[0].is_number_unsigned() ||
            !offsets[1].is_number_unsigned())
            return bad("has bad data_offsets");
        TensorInfo tensor;
        tensor.path = {PathElement::name(name)};
        tensor.dtype = *dtype;
        tensor.location = "cpu";
        uint64_t numel = 1;
        for (const auto& dim : shape) {
            if (!dim.is_number_unsigned()) return bad("has a negative or non-integer dimension");
            uint64_t d = dim.get<uint64_t>();
            if (d > static_cast<uint64_t>(INT64_MAX) || __builtin_mul_overflow(numel, d, &numel))
                return bad("has an element count that overflows 64 bits");
            tensor.shape.push_back(static_cast<int64_t>(d));
        }
        tensor.stride.assign(tensor.shape.size(), 1);
        for (size_t i = tensor.shape.size(); i-- > 1;)
            tensor.stride[i - 1] = tensor.stride[i] * std::max<int64_t>(tensor.shape[i], 1);
        uint64_t begin = offsets[0].get<uint64_t>(), end = offsets[1].get<uint64_t>();
        if (__builtin_mul_overflow(numel, dtypeElementSize(*dtype), &tensor.nbytes))
            return bad("has a byte size that overflows 64 bits");
        if (begin > end || end > bufferSize) return bad("lies outside the data buffer");
        if (end - begin != tensor.nbytes)
            return bad("has " + std::to_string(end - begin) + " bytes but its shape needs " +
                       std::to_string(tensor.nbytes));
        StorageInfo storage;
        storage.key = name;
        storage.dtype = *dtype;
        storage.numel = numel;
        storage.nbytes = tensor.nbytes;
        storage.location = "cpu";
        storage.fileOffset = bufferStart + begin;
        storage.available = true;
        doc->storages.push_back(std::move(storage));
        tensor.storage = static_cast<int>(doc->storages.size() - 1);
        doc->tensors.push_back(std::move(tensor));
        set.entries.push_back(WeightEntry{name, static_cast<int>(doc->tensors.size() - 1)});
        if (progress.cancelled()) return makeError(Status::Cancelled, "cancelled");
    }
    doc->weightSets.push_back(std::move(set));
    progress.tick(headerSize, headerSize);
    return doc;
}

} // namespace ckpt

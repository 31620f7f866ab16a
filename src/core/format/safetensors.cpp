// safetensors: u64 LE header length, JSON header {name: {dtype, shape, data_offsets}}, then the buffer.
#include <nlohmann/json.hpp>

#include "core/format/formatloaders.h"
#include "core/format/safetensorsheader.h"
#include "core/io/bytereader.h"
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

    std::optional<SafetensorsHeader> header = readSafetensorsHeader(headerText);
    if (!header) return makeError(Status::Corrupt, "safetensors header is not a JSON object", 8);

    auto doc = std::make_unique<Checkpoint>();
    doc->file = file->path();
    doc->fileSize = file->size();
    doc->files.push_back(file);
    doc->format = Format::Safetensors;
    doc->kind = Kind::StateDict;
    doc->metadata = std::move(header->metadata);
    if (header->metadataHasNonStrings) {
        // The format says Dict[str, str]; a writer that put other values there gets them shown as JSON text,
        // from a tree of the header (rare, and still n log n).
        const nlohmann::json tree = nlohmann::json::parse(headerText, nullptr, false);
        const auto meta = tree.is_object() ? tree.find("__metadata__") : tree.end();
        if (meta != tree.end() && meta->is_object())
            for (auto m = meta->begin(); m != meta->end(); ++m)
                doc->metadata[m.key()] = m.value().is_string()
                                             ? m.value().get<std::string>()
                                             : m.value().dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    }
    WeightSet set;
    doc->storages.reserve(header->tensors.size());
    doc->tensors.reserve(header->tensors.size());
    set.entries.reserve(header->tensors.size());
    for (const SafetensorsHeaderEntry& entry : header->tensors) { // file order, as safetensors' readers list them
        const std::string_view name = entry.name;
        auto bad = [&](const std::string& why) {
            return makeError(Status::Corrupt, "safetensors tensor '" + std::string(name) + "' " + why, 8);
        };
        if (!entry.isObject || !entry.hasDtype || !entry.hasShape || !entry.hasOffsets)
            return bad("lacks dtype, shape or data_offsets");
        if (!entry.dtypeIsString) return bad("has a non-string dtype");
        auto dtype = dtypeFromSafetensors(entry.dtype);
        if (!dtype)
            return makeError(
                Status::Unsupported,
                "safetensors tensor '" + std::string(name) + "' has unsupported dtype " + std::string(entry.dtype), 8);
        if (!entry.shapeIsArray || entry.shapeLength > limits::kMaxTensorRank) return bad("has a bad shape");
        if (!entry.offsetsIsArray || entry.offsetsLength != 2 || !entry.offsetsAllUnsigned)
            return bad("has bad data_offsets");
        if (!entry.shapeAllUnsigned) return bad("has a negative or non-integer dimension");
        TensorInfo tensor;
        tensor.path.push_back(PathElement::name(std::string(name)));
        tensor.dtype = *dtype;
        tensor.location = "cpu";
        uint64_t numel = 1;
        tensor.shape.reserve(entry.shapeStored);
        for (const uint64_t* d = header->shapeBegin(entry); d != header->shapeEnd(entry); ++d) {
            if (*d > static_cast<uint64_t>(INT64_MAX) || __builtin_mul_overflow(numel, *d, &numel))
                return bad("has an element count that overflows 64 bits");
            tensor.shape.push_back(static_cast<int64_t>(*d));
        }
        tensor.stride.assign(tensor.shape.size(), 1);
        // An empty tensor may name huge dimensions beside its 0, so the row-major strides can still overflow.
        for (size_t i = tensor.shape.size(); i-- > 1;)
            if (__builtin_mul_overflow(tensor.stride[i], std::max<int64_t>(tensor.shape[i], 1), &tensor.stride[i - 1]))
                return bad("has a shape whose strides overflow 64 bits");
        uint64_t begin = entry.offsets[0], end = entry.offsets[1];
        if (__builtin_mul_overflow(numel, dtypeElementSize(*dtype), &tensor.nbytes))
            return bad("has a byte size that overflows 64 bits");
        if (begin > end || end > bufferSize) return bad("lies outside the data buffer");
        if (end - begin != tensor.nbytes)
            return bad("has " + std::to_string(end - begin) + " bytes but its shape needs " +
                       std::to_string(tensor.nbytes));
        StorageInfo storage;
        storage.key = tensor.path.back().key;
        storage.dtype = *dtype;
        storage.numel = numel;
        storage.nbytes = tensor.nbytes;
        storage.location = "cpu";
        storage.fileOffset = bufferStart + begin;
        storage.available = true;
        doc->storages.push_back(std::move(storage));
        tensor.storage = static_cast<int>(doc->storages.size() - 1);
        doc->tensors.push_back(std::move(tensor));
        set.entries.push_back(WeightEntry{std::string(name), static_cast<int>(doc->tensors.size() - 1)});
        if (progress.cancelled()) return makeError(Status::Cancelled, "cancelled");
    }
    doc->weightSets.push_back(std::move(set));
    progress.tick(headerSize, headerSize);
    return doc;
}

} // namespace ckpt

// Sharded sets: *.index.json {"metadata": {...}, "weight_map": {name: shard file}} over safetensors or
// torch-zip shards. Each shard is opened with the ordinary loader; the set's weights follow weight_map order.
#include <filesystem>
#include <map>
#include <unordered_map>

#include <nlohmann/json.hpp>

#include "core/format/formatloaders.h"
#include "core/format/loader.h"
#include "core/io/jsonkeyorder.h"
#include "core/limits.h"

namespace ckpt
{

Result<std::unique_ptr<Checkpoint>> loadSharded(MappedFilePtr index, const Progress& progress)
{
    if (index->size() > limits::kMaxIndexJsonBytes)
        return makeError(Status::LimitExceeded, "index file is over the limit kMaxIndexJsonBytes");
    std::string_view text(reinterpret_cast<const char*>(index->data()), index->size());
    std::optional<JsonWithOrder> parsed = parseJsonKeepingOrder(text, "weight_map");
    if (!parsed || !parsed->doc.is_object() || !parsed->doc.contains("weight_map") ||
        !parsed->doc["weight_map"].is_object())
        return makeError(Status::Corrupt, "index file is not JSON with a \"weight_map\" object");
    const nlohmann::json& json = parsed->doc;

    auto doc = std::make_unique<Checkpoint>();
    doc->file = index->path();
    doc->fileSize = index->size();
    doc->files.push_back(index);
    doc->format = Format::Sharded;
    doc->kind = Kind::StateDict;
    if (json.contains("metadata") && json["metadata"].is_object())
        for (auto m = json["metadata"].begin(); m != json["metadata"].end(); ++m)
            doc->metadata[m.key()] = m.value().is_string()
                                         ? m.value().get<std::string>()
                                         : m.value().dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);

    const std::filesystem::path folder = std::filesystem::path(index->path()).parent_path();
    std::map<std::string, size_t> shardIndex; // shard file -> index in doc->parts
    std::vector<size_t> storageBase;          // where each part's storages start in doc->storages
    // Per part, its main weight set's tensors by key: looking each of 100,000 keys up by scanning was quadratic.
    std::vector<std::unordered_map<std::string_view, int>> tensorByKey;
    WeightSet set;
    const auto& map = json["weight_map"];
    doc->tensors.reserve(parsed->order.size());
    set.entries.reserve(parsed->order.size());
    for (const std::string& key : parsed->order) { // weight_map order, as the file lists it
        const auto& value = map.at(key);
        if (!value.is_string()) return makeError(Status::Corrupt, "weight_map entry '" + key + "' is not a file name");
        std::string shardName = value.get<std::string>();
        if (shardName.find("..") != std::string::npos || std::filesystem::path(shardName).is_absolute())
            return makeError(Status::Refused, "weight_map names a shard outside the index's folder: " + shardName);
        auto found = shardIndex.find(shardName);
        if (found == shardIndex.end()) {
            if (shardIndex.size() >= limits::kMaxShards)
                return makeError(Status::LimitExceeded, "index names more shards than the limit kMaxShards");
            std::string shardPath = (folder / shardName).string();
            // Sniff before loading: a shard that is itself an index (even this one) would recurse forever.
            auto shardFormat = sniffFormat(shardPath);
            if (shardFormat && shardFormat.value() == Format::Sharded)
                return makeError(Status::Corrupt, "shard " + shardName + " is itself an index");
            auto shard = loadCheckpoint(shardPath, Progress{nullptr, progress.cancel});
            if (!shard) {
                Error error = shard.error();
                error.detail = "shard " + shardName + ": " + error.detail;
                return error;
            }
            const Checkpoint& part = *shard.value();
            if (part.format == Format::Sharded)
                return makeError(Status::Corrupt, "shard " + shardName + " is itself an index");
            storageBase.push_back(doc->storages.size());
            int fileIndex = static_cast<int>(doc->files.size());
            doc->files.insert(doc->files.end(), part.files.begin(), part.files.end());
            for (StorageInfo storage : part.storages) {
                storage.file += fileIndex;
                doc->storages.push_back(std::move(storage));
            }
            for (const GlobalRef& global : part.globals)
                doc->globals.push_back(global);
            for (const Finding& finding : part.findings)
                doc->findings.push_back({finding.severity, shardName + ": " + finding.what});
            doc->parts.push_back(shard.value());
            auto& byKey = tensorByKey.emplace_back();
            if (const WeightSet* weights = part.mainWeightSet())
                for (const WeightEntry& entry : weights->entries)
                    if (entry.tensor >= 0) byKey.emplace(entry.key, entry.tensor); // the first of a repeated key
            found = shardIndex.emplace(shardName, doc->parts.size() - 1).first;
            progress.tick(shardIndex.size(), map.size());
        }
        // The set's tensors are listed in weight_map order, named by their key, as a merged state dict would be.
        const Checkpoint& part = *doc->parts[found->second];
        int tensor = -1;
        const auto& byKey = tensorByKey[found->second];
        if (auto hit = byKey.find(key); hit != byKey.end()) {
            TensorInfo copy = part.tensors[hit->second];
            if (copy.storage >= 0) copy.storage += static_cast<int>(storageBase[found->second]);
            copy.parts.clear();
            copy.path = {PathElement::name(key)};
            doc->tensors.push_back(std::move(copy));
            tensor = static_cast<int>(doc->tensors.size() - 1);
        }
        set.entries.push_back(WeightEntry{key, tensor});
    }
    doc->weightSets.push_back(std::move(set));
    return doc;
}

} // namespace ckpt

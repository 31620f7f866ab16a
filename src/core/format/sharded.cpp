// Sharded sets: *.index.json {"metadata": {...}, "weight_map": {name: shard file}} over safetensors or
// torch-zip shards. Each shard is opened with the ordinary loader; the set's weights follow weight_map order.
#include <filesystem>

#include "core/format/formatloaders.h"
#include "core/format/loader.h"
#include "core/format/shardindex.h"
#include "core/io/flatnameindex.h"
#include "core/limits.h"

namespace ckpt
{

namespace
{

// Names quoted in an error stay readable: an index may hold a name of many megabytes.
std::string clipped(std::string_view name)
{
    constexpr size_t kShown = 200;
    return name.size() <= kShown ? std::string(name) : std::string(name.substr(0, kShown)) + "...";
}

} // namespace

Result<std::unique_ptr<Checkpoint>> loadSharded(MappedFilePtr index, const Progress& progress)
{
    if (index->size() > limits::kMaxIndexJsonBytes)
        return makeError(Status::LimitExceeded, "index file is over the limit kMaxIndexJsonBytes");
    std::string_view text(reinterpret_cast<const char*>(index->data()), index->size());
    Result<ShardIndex> read = readShardIndex(text);
    if (!read) return read.error();
    const ShardIndex& parsed = read.value();

    auto doc = std::make_unique<Checkpoint>();
    doc->file = index->path();
    doc->fileSize = index->size();
    doc->files.push_back(index);
    doc->format = Format::Sharded;
    doc->kind = Kind::StateDict;
    doc->metadata = parsed.metadata;

    const std::filesystem::path folder = std::filesystem::path(index->path()).parent_path();
    std::vector<int> partOfShard(parsed.shards.size(), -1); // shard name -> index in doc->parts, once opened
    size_t opened = 0;
    std::vector<size_t> storageBase; // where each part's storages start in doc->storages
    // Per part, its main weight set's entries by key: looking each of 100,000 keys up by scanning was quadratic.
    std::vector<FlatNameIndex> entryByKey;
    std::vector<const WeightSet*> weightsOfPart; // each part's main weight set, or nullptr
    WeightSet set;
    doc->tensors.reserve(parsed.entries.size());
    set.entries.reserve(parsed.entries.size());
    for (const ShardIndexEntry& entry : parsed.entries) { // weight_map order, as the file lists it
        const std::string_view key = entry.key;
        if (entry.shard < 0)
            return makeError(Status::Corrupt, "weight_map entry '" + clipped(key) + "' is not a file name");
        const std::string& shardName = parsed.shards[entry.shard];
        if (partOfShard[entry.shard] < 0) {
            if (shardName.find("..") != std::string::npos || std::filesystem::path(shardName).is_absolute())
                return makeError(Status::Refused,
                                 "weight_map names a shard outside the index's folder: " + clipped(shardName));
            if (opened >= limits::kMaxShards)
                return makeError(Status::LimitExceeded, "index names more shards than the limit kMaxShards");
            std::string shardPath = (folder / shardName).string();
            // Sniff before loading: a shard that is itself an index (even this one) would recurse forever.
            auto shardFormat = sniffFormat(shardPath);
            if (shardFormat && shardFormat.value() == Format::Sharded)
                return makeError(Status::Corrupt, "shard " + clipped(shardName) + " is itself an index");
            auto shard = loadCheckpoint(shardPath, Progress{nullptr, progress.cancel});
            if (!shard) {
                Error error = shard.error();
                error.detail = "shard " + clipped(shardName) + ": " + error.detail;
                return error;
            }
            const Checkpoint& part = *shard.value();
            if (part.format == Format::Sharded)
                return makeError(Status::Corrupt, "shard " + clipped(shardName) + " is itself an index");
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
            FlatNameIndex& byKey = entryByKey.emplace_back();
            const WeightSet* weights = weightsOfPart.emplace_back(part.mainWeightSet());
            if (weights)
                for (size_t i = 0; i < weights->entries.size(); ++i)
                    if (weights->entries[i].tensor >= 0) // the first of a repeated key
                        byKey.findOrAdd(weights->entries[i].key, static_cast<int32_t>(i),
                                        [&](int32_t at) { return std::string_view(weights->entries[at].key); });
            partOfShard[entry.shard] = static_cast<int>(doc->parts.size() - 1);
            progress.tick(++opened, parsed.entries.size());
        }
        // The set's tensors are listed in weight_map order, named by their key, as a merged state dict would be.
        const size_t partIndex = static_cast<size_t>(partOfShard[entry.shard]);
        const Checkpoint& part = *doc->parts[partIndex];
        int tensor = -1;
        const WeightSet* weights = weightsOfPart[partIndex];
        const int32_t hit = weights ? entryByKey[partIndex].find(
                                          key, [&](int32_t at) { return std::string_view(weights->entries[at].key); })
                                    : -1;
        if (hit >= 0) {
            TensorInfo& copy = doc->tensors.emplace_back(part.tensors[weights->entries[hit].tensor]);
            if (copy.storage >= 0) copy.storage += static_cast<int>(storageBase[partIndex]);
            copy.parts.clear();
            // Named by its key alone; a safetensors shard's tensor already is, and keeps its string.
            if (copy.path.size() != 1 || copy.path[0].isIndex || copy.path[0].index != 0 || copy.path[0].key != key)
                copy.path = {PathElement::name(std::string(key))};
            tensor = static_cast<int>(doc->tensors.size() - 1);
        }
        set.entries.push_back(WeightEntry{std::string(key), tensor});
    }
    doc->weightSets.push_back(std::move(set));
    return doc;
}

} // namespace ckpt

#include "core/distributed/dcpreader.h"

#include <filesystem>
#include <map>

#include "core/analysis/securityscan.h"
#include "core/distributed/chunkarchive.h"
#include "core/distributed/coverage.h"
#include "core/distributed/enummembers.h"
#include "core/distributed/objectfields.h"
#include "core/distributed/rankfiles.h"
#include "core/distributed/virtualtensors.h"
#include "core/format/tensorrebuild.h"
#include "core/io/mappedfile.h"
#include "core/limits.h"
#include "core/pickle/unpickler.h"

namespace ckpt::distributed
{

namespace
{

struct StorageRef {
    std::string file;
    uint64_t offset = 0;
    uint64_t length = 0;
    std::string transform; // the first transform descriptor, when any ("stream.zstd/1")
};

std::string offsetsKey(const std::string& fqn, const std::vector<int64_t>* offsets)
{
    std::string key = fqn + '\x1f';
    if (!offsets) return key + "none";
    for (int64_t o : *offsets)
        key += std::to_string(o) + ',';
    return key;
}

// MetadataIndex -> _StorageInfo, keyed by fqn and chunk offsets (None for bytes items).
Result<std::map<std::string, StorageRef>> readStorageData(const Value* storageData)
{
    std::map<std::string, StorageRef> out;
    if (!storageData || storageData->kind != ValueKind::Dict)
        return makeError(Status::Corrupt, ".metadata has no storage_data dict (a save that did not finish?)");
    for (const auto& [index, info] : storageData->entries) {
        const Value* fqn = field(index, "fqn");
        if (!fqn || !fqn->isString()) return makeError(Status::Corrupt, "a MetadataIndex in .metadata has no fqn");
        const Value* offsetValue = field(index, "offset");
        std::vector<int64_t> offsets;
        bool hasOffsets = offsetValue && offsetValue->kind != ValueKind::None && readIntTuple(offsetValue, offsets);
        StorageRef ref;
        const Value* path = field(info, "relative_path");
        int64_t offset = 0, length = 0;
        if (!path || !path->isString() || !intValue(field(info, "offset"), offset) ||
            !intValue(field(info, "length"), length) || offset < 0 || length < 0)
            return makeError(Status::Corrupt,
                             "the _StorageInfo of '" + fqn->text + "' lacks relative_path/offset/length");
        ref.file = path->text;
        ref.offset = static_cast<uint64_t>(offset);
        ref.length = static_cast<uint64_t>(length);
        if (const Value* transforms = field(info, "transform_descriptors");
            transforms && transforms->kind == ValueKind::List && !transforms->items.empty()) {
            const Value* first = transforms->items[0];
            ref.transform = first && first->isString() ? first->text : "?";
        }
        out[offsetsKey(fqn->text, hasOffsets ? &offsets : nullptr)] = ref;
    }
    return out;
}

// TensorProperties pickles a 5-tuple state (dtype, layout, requires_grad, memory format, pin_memory);
// older writers may give a dict with a dtype field.
DType propertiesDtype(const Value* properties)
{
    const Value* dtype = nullptr;
    if (properties && properties->kind == ValueKind::Object && properties->state) {
        if (properties->state->kind == ValueKind::Tuple && !properties->state->items.empty())
            dtype = properties->state->items[0];
        else
            dtype = field(properties, "dtype");
    }
    if (dtype && dtype->kind == ValueKind::Global && dtype->text == "torch")
        if (auto d = dtypeFromTorchName(dtype->text2)) return *d;
    return DType::Unknown;
}

Path pathFor(const std::string& fqn, const Value* plannerData)
{
    const Value* tuple = plannerData && plannerData->kind == ValueKind::Dict ? plannerData->find(fqn) : nullptr;
    if (!tuple || (tuple->kind != ValueKind::Tuple && tuple->kind != ValueKind::List) || tuple->items.empty())
        return {PathElement::name(fqn)};
    Path path;
    for (const Value* part : tuple->items) {
        if (part && part->kind == ValueKind::Int)
            path.push_back(PathElement::at(part->integer));
        else if (part && part->isString())
            path.push_back(PathElement::name(part->text));
        else
            return {PathElement::name(fqn)};
    }
    return path;
}

} // namespace

Result<std::unique_ptr<Checkpoint>> loadDcpDirectory(const std::string& directory, const Progress& progress)
{
    auto layout = std::make_shared<Layout>();
    layout->kind = "dcp";
    layout->directory = directory;
    const std::string metadataPath = directory + "/.metadata";
    std::error_code ec;
    if (!std::filesystem::exists(metadataPath, ec)) {
        std::string present;
        size_t count = 0;
        for (const auto& entry : std::filesystem::directory_iterator(directory, ec)) {
            if (entry.path().extension() != ".distcp") continue;
            if (count++ < 8) present += (present.empty() ? "" : ", ") + entry.path().filename().string();
        }
        return makeError(Status::Truncated, ".metadata is missing: the checkpoint is incomplete (a save that did not "
                                            "finish writes it last); rank files present: " +
                                                (present.empty() ? std::string("none") : present) +
                                                (count > 8 ? " and " + std::to_string(count - 8) + " more" : ""));
    }
    auto metadataFile = MappedFile::open(metadataPath);
    if (!metadataFile) return makeError(metadataFile.error().status, ".metadata: " + metadataFile.error().detail);
    if (metadataFile.value()->size() > limits::kMaxDcpMetadataBytes)
        return makeError(Status::LimitExceeded, ".metadata is larger than kMaxDcpMetadataBytes");

    auto doc = std::make_unique<Checkpoint>();
    doc->file = directory;
    doc->format = Format::Dcp;
    doc->kind = Kind::StateDict;
    doc->files.push_back(metadataFile.value());
    doc->fileSize = metadataFile.value()->size();
    auto parsed = unpickle(metadataFile.value()->data(), metadataFile.value()->size(), *doc->arena, 0, progress);
    if (!parsed) return makeError(parsed.error().status, ".metadata: " + parsed.error().detail, parsed.error().offset);
    doc->pickleProtocol = parsed.value().protocol;
    recordGlobals(*doc, parsed.value().globals);
    const Value* meta = parsed.value().root;
    acceptKnownEnumMembers(*doc, meta);
    if (className(meta) != "Metadata")
        return makeError(Status::Corrupt, ".metadata does not hold a torch.distributed.checkpoint Metadata object");
    layout->facts["metadata_module"] = classModule(meta);
    if (const Value* version = field(meta, "version"); version && version->isString())
        layout->facts["version"] = version->text;
    const Value* stateDict = field(meta, "state_dict_metadata");
    if (!stateDict || stateDict->kind != ValueKind::Dict)
        return makeError(Status::Corrupt, ".metadata has no state_dict_metadata dict");
    auto storage = readStorageData(field(meta, "storage_data"));
    if (!storage) return makeError(storage.error().status, ".metadata: " + storage.error().detail);
    const Value* plannerData = field(meta, "planner_data");

    RankFiles files(*doc, directory, layout->problems);
    auto problem = [&](const std::string& file, const std::string& what) {
        for (const DirectoryProblem& p : layout->problems)
            if (p.file == file && p.what == what) return;
        layout->problems.push_back({file, what});
    };
    // Opens one item's torch archive; on failure `why` says what is wrong and the directory problem is
    // recorded once (a missing file by RankFiles, anything else here with the item it concerns).
    auto openItem = [&](const StorageRef& ref, const std::string& what,
                        std::string& why) -> std::shared_ptr<const Checkpoint> {
        auto fail = [&](std::string reason) -> std::shared_ptr<const Checkpoint> {
            why = std::move(reason);
            problem(ref.file, why + " (" + what + ")");
            return nullptr;
        };
        if (!ref.transform.empty())
            return fail("transform '" + ref.transform + "' is not supported (zstd-compressed items cannot be read)");
        int index = files.open(ref.file, why);
        if (index < 0) return nullptr;
        const MappedFile& mapped = *doc->files[static_cast<size_t>(index)];
        if (ref.offset > mapped.size() || ref.length > mapped.size() - ref.offset) {
            return fail("truncated: the item at bytes " + std::to_string(ref.offset) + ".." +
                        std::to_string(ref.offset + ref.length) + " ends past the file's " +
                        std::to_string(mapped.size()) + " bytes");
        }
        auto sub = openTorchArchive(doc->files[static_cast<size_t>(index)], ref.offset, ref.length);
        if (!sub) return fail("damaged item at byte " + std::to_string(ref.offset) + ": " + sub.error().detail);
        std::shared_ptr<const Checkpoint> shared(std::move(sub).value());
        mergeGlobals(*doc, *shared);
        doc->parts.push_back(shared);
        return shared;
    };

    WeightSet set;
    set.derived = true;
    for (const auto& [keyValue, item] : stateDict->entries) {
        if (progress.cancelled()) return makeError(Status::Cancelled, "loading was cancelled");
        if (!keyValue || !keyValue->isString()) continue;
        const std::string& fqn = keyValue->text;
        const std::string cls = className(item);
        if (cls == "BytesStorageMetadata") {
            auto ref = storage.value().find(offsetsKey(fqn, nullptr));
            if (ref == storage.value().end()) {
                problem(".metadata", "bytes item '" + fqn + "' has no storage entry");
                continue;
            }
            std::string why;
            auto sub = openItem(ref->second, "bytes item '" + fqn + "'", why);
            if (!sub) continue;
            doc->values.push_back({pathFor(fqn, plannerData), sub->root});
            continue;
        }
        if (cls != "TensorStorageMetadata") {
            problem(".metadata", "item '" + fqn + "' is a " + (cls.empty() ? "non-object" : cls) + ", not understood");
            continue;
        }
        VirtualTensor vt;
        vt.key = fqn;
        vt.dtype = propertiesDtype(field(item, "properties"));
        if (!readIntTuple(field(item, "size"), vt.shape) || vt.shape.size() > limits::kMaxTensorRank) {
            problem(".metadata", "tensor '" + fqn + "' has no readable size");
            continue;
        }
        const Value* chunks = field(item, "chunks");
        if (chunks && chunks->kind == ValueKind::List && chunks->items.size() > limits::kMaxChunksPerTensor) {
            problem(".metadata", "tensor '" + fqn + "' has more than kMaxChunksPerTensor chunks");
            continue;
        }
        for (const Value* chunkValue :
             chunks && chunks->kind == ValueKind::List ? chunks->items : ValueList<const Value*>{}) {
            Chunk chunk;
            if (!readIntTuple(field(chunkValue, "offsets"), chunk.offsets) ||
                !readIntTuple(field(chunkValue, "sizes"), chunk.sizes)) {
                problem(".metadata", "a chunk of '" + fqn + "' has no offsets/sizes");
                continue;
            }
            auto ref = storage.value().find(offsetsKey(fqn, &chunk.offsets));
            if (ref == storage.value().end()) {
                chunk.problem = "no storage entry for this chunk in .metadata";
                problem(".metadata", "chunk of '" + fqn + "' has no storage entry");
                vt.chunks.push_back(chunk);
                continue;
            }
            chunk.fileName = ref->second.file;
            chunk.byteBegin = ref->second.offset;
            chunk.byteEnd = ref->second.offset + ref->second.length;
            auto sub = openItem(ref->second, "chunk of '" + fqn + "'", chunk.problem);
            if (sub) {
                const TensorInfo* stored = nullptr;
                for (const TensorInfo& t : sub->tensors)
                    if (t.path.empty() && !t.component) stored = &t;
                if (!stored || stored->storage < 0)
                    chunk.problem = "the item holds no tensor";
                else if (!stored->problem.empty())
                    chunk.problem = stored->problem;
                else if (stored->shape != chunk.sizes)
                    chunk.problem =
                        "the item holds shape " + shapeText(stored->shape) + ", the chunk is " + shapeText(chunk.sizes);
                else if (stored->dtype != vt.dtype)
                    chunk.problem = "the item holds " + std::string(dtypeName(stored->dtype)) + ", the tensor is " +
                                    std::string(dtypeName(vt.dtype));
                else if (sub->storages[static_cast<size_t>(stored->storage)].owned)
                    chunk.problem = "the item's storage is compressed";
                else {
                    const StorageInfo& s = sub->storages[static_cast<size_t>(stored->storage)];
                    chunk.file = -1;
                    for (size_t f = 0; f < doc->files.size(); ++f)
                        if (doc->files[f] == sub->files[0]) chunk.file = static_cast<int>(f);
                    chunk.dataOffset =
                        s.fileOffset + static_cast<uint64_t>(stored->offset) * dtypeElementSize(vt.dtype);
                    chunk.stride = stored->stride;
                    chunk.sourceDtype = stored->dtype;
                }
            }
            vt.chunks.push_back(chunk);
        }
        vt.role = vt.chunks.size() == 1 ? "replicated" : "sharded";
        int index = addVirtualTensor(*doc, *layout, std::move(vt), pathFor(fqn, plannerData));
        set.entries.push_back({fqn, index});
    }
    doc->weightSets.push_back(std::move(set));
    finishLayout(*doc, std::move(layout));
    return doc;
}

} // namespace ckpt::distributed

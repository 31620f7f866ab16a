#include "core/distributed/consolidator.h"

#include <filesystem>
#include <map>

#include <nlohmann/json.hpp>
#include <xxhash.h>

#include "core/distributed/chunkcopier.h"
#include "core/distributed/layout.h"
#include "core/distributed/savegraph.h"
#include "core/distributed/virtualtensors.h"
#include "core/edit/atomicfile.h"
#include "core/edit/exportverifier.h"
#include "core/pickle/pickler.h"
#include "core/zip/alignedzipwriter.h"

namespace ckpt::distributed
{

namespace
{

// torch.save names the zip folder after the file ("model.pth" -> "model").
std::string folderFor(const std::string& output)
{
    std::string name = std::filesystem::path(output).stem().string();
    if (name.empty()) return "archive";
    for (char c : name)
        if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.')) return "archive";
    return name;
}

uint64_t numelOf(const std::vector<int64_t>& shape)
{
    uint64_t n = 1;
    for (int64_t d : shape)
        n *= static_cast<uint64_t>(d);
    return n;
}

// The payload source of one tensor for the zip writer: its chunks' rows, block by block.
AlignedZipWriter::PayloadSource sourceFor(ChunkCopier& copier)
{
    return [&copier](uint64_t at) -> Result<AlignedZipWriter::PayloadPiece> {
        auto block = copier.next(at);
        if (!block) return block.error();
        return AlignedZipWriter::PayloadPiece{reinterpret_cast<const uint8_t*>(block.value().data()),
                                              block.value().size()};
    };
}

// Copies a tensor to the sink block by block, hashing what it writes.
Result<uint64_t> writeRaw(ZipWriterSink& sink, ChunkCopier& copier, const Progress& progress, uint64_t& done,
                          uint64_t total)
{
    XXH3_state_t* state = XXH3_createState();
    XXH3_64bits_reset(state);
    VoidResult result = Done{};
    for (uint64_t at = 0; at < copier.size();) {
        auto block = copier.next(at);
        if (!block) {
            result = block.error();
            break;
        }
        XXH3_64bits_update(state, block.value().data(), block.value().size());
        if (result = sink.write(block.value().data(), block.value().size()); !result) break;
        at += block.value().size();
        done += block.value().size();
        if (progress.cancelled()) {
            result = makeError(Status::Cancelled, "the export was cancelled");
            break;
        }
        progress.tick(done, total);
    }
    uint64_t hash = XXH3_64bits_digest(state);
    XXH3_freeState(state);
    if (!result) return result.error();
    return hash;
}

} // namespace

Result<ConsolidateReport> consolidate(const Checkpoint& doc, const std::string& output, ExportFormat format, bool force,
                                      const Progress& progress)
{
    if (!doc.distributed) return makeError(Status::Unsupported, "not a distributed checkpoint directory");
    const Layout& layout = *doc.distributed;
    std::error_code ec;
    if (!force && std::filesystem::exists(output, ec))
        return makeError(Status::Refused, "the output exists; pass --force to replace it");
    // Layout first: every tensor must be whole before a byte is written.
    std::vector<const VirtualTensor*> order;
    std::map<std::string, const VirtualTensor*> byKey;
    for (const VirtualTensor& t : layout.tensors) {
        if (!t.coverage.complete)
            return makeError(Status::Truncated, "'" + t.key + "' cannot be consolidated: " + t.coverage.problem);
        if (format == ExportFormat::Safetensors && !safetensorsName(t.dtype))
            return makeError(Status::Refused, "'" + t.key + "' is " + std::string(dtypeName(t.dtype)) +
                                                  ", which safetensors cannot hold");
        if (!byKey.emplace(t.key, &t).second) return makeError(Status::Corrupt, "key '" + t.key + "' appears twice");
        order.push_back(&t);
    }
    uint64_t total = 0;
    for (const VirtualTensor* t : order)
        if (t->tiedTo.empty() || format == ExportFormat::Safetensors)
            total += numelOf(t->shape) * dtypeElementSize(t->dtype);

    auto created = AtomicFile::create(output);
    if (!created) return created.error();
    std::unique_ptr<AtomicFile> file = std::move(created).value();
    ConsolidateReport report;
    ExportExpectation expected;
    expected.hasWeightSet = true;
    std::map<std::string, TensorSignature> signatures; // by key, from the bytes as written
    uint64_t done = 0;

    if (format == ExportFormat::Torch) {
        ValueArena arena;
        GraphBuilder build(arena);
        Value* root = build.orderedDict();
        std::map<std::string, const Value*> pidOf; // the storage of each written (untied) key
        std::vector<const VirtualTensor*> records;
        for (const VirtualTensor* t : order) {
            if (!t->tiedTo.empty()) continue;
            pidOf[t->key] = build.storageId(t->dtype, std::to_string(records.size()), numelOf(t->shape));
            records.push_back(t);
        }
        for (const VirtualTensor* t : order) {
            const std::string& owner = t->tiedTo.empty() ? t->key : t->tiedTo;
            auto pid = pidOf.find(owner);
            if (pid == pidOf.end())
                return makeError(Status::Corrupt, "'" + t->key + "' is tied to missing '" + owner + "'");
            root->entries.push_back(
                {build.string(t->key), build.tensor(pid->second, t->shape, rowMajorStrides(t->shape))});
        }
        auto pickle = Pickler::dump(root);
        if (!pickle) return pickle.error();
        AlignedZipWriter zip(*file, folderFor(output));
        zip.setProgress(&progress, total);
        if (auto r = zip.addRecord("data.pkl", pickle.value().data(), pickle.value().size()); !r) return r.error();
        if (auto r = zip.addRecord("byteorder", "little", 6); !r) return r.error();
        for (size_t i = 0; i < records.size(); ++i) {
            const VirtualTensor& t = *records[i];
            ChunkCopier copier(doc, t);
            uint64_t hash = 0;
            if (copier.size() > 0) {
                if (auto r = zip.addRecordFrom("data/" + std::to_string(i), copier.size(), sourceFor(copier), &hash);
                    !r)
                    return r.error();
            } else if (auto r = zip.addRecord("data/" + std::to_string(i), "", 0); !r) {
                return r.error();
            }
            signatures[t.key] = TensorSignature{t.dtype, t.shape, copier.size() ? hash : 0};
            report.payloadBytes += copier.size();
        }
        if (auto r = zip.addRecord("version", "3\n", 2); !r) return r.error();
        if (auto r = zip.finish(); !r) return r.error();
        report.records = records.size();
    } else {
        // safetensors: header (dtype, shape, data_offsets in key order), padded to 8 bytes, then the bytes.
        nlohmann::ordered_json header;
        uint64_t offset = 0;
        for (const VirtualTensor* t : order) {
            uint64_t bytes = numelOf(t->shape) * dtypeElementSize(t->dtype);
            header[t->key] = {{"dtype", std::string(*safetensorsName(t->dtype))},
                              {"shape", t->shape},
                              {"data_offsets", {offset, offset + bytes}}};
            offset += bytes;
        }
        header["__metadata__"] = {{"format", "pt"}};
        std::string text = header.dump();
        text.append((8 - text.size() % 8) % 8, ' ');
        uint8_t length[8];
        for (int i = 0; i < 8; ++i)
            length[i] = static_cast<uint8_t>((static_cast<uint64_t>(text.size()) >> (8 * i)) & 0xff);
        if (auto r = file->write(length, 8); !r) return r.error();
        if (auto r = file->write(text.data(), text.size()); !r) return r.error();
        for (const VirtualTensor* t : order) {
            ChunkCopier copier(doc, *t);
            auto hash = writeRaw(*file, copier, progress, done, total);
            if (!hash) return hash.error();
            signatures[t->key] = TensorSignature{t->dtype, t->shape, copier.size() ? hash.value() : 0};
            report.payloadBytes += copier.size();
        }
        report.records = order.size();
    }
    for (const VirtualTensor* t : order) {
        const TensorSignature& s =
            signatures[t->tiedTo.empty() || format == ExportFormat::Safetensors ? t->key : t->tiedTo];
        expected.keys.push_back(t->key);
        expected.keyTensors.push_back(s);
        expected.tensors.push_back(s);
    }
    report.fileBytes = file->position();
    if (auto closed = file->close(); !closed) return closed.error();
    auto verified = verifyExport(file->tempPath(), expected);
    if (!verified) return verified.error();
    report.tensors = verified.value().keys;
    if (auto committed = file->commit(); !committed) return committed.error();
    for (const PlainValue& item : doc.values)
        report.itemsNotWritten.push_back(pathToString(item.path));
    return report;
}

} // namespace ckpt::distributed

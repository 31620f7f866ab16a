#include "core/distributed/chunkarchive.h"

#include "core/analysis/securityscan.h"
#include "core/format/torchgraph.h"
#include "core/pickle/unpickler.h"
#include "core/zip/ziparchive.h"

namespace ckpt::distributed
{

Result<std::unique_ptr<Checkpoint>> openTorchArchive(MappedFilePtr file, uint64_t offset, uint64_t length)
{
    if (offset > file->size() || length > file->size() - offset)
        return makeError(Status::Truncated,
                         "item at byte " + std::to_string(offset) + " of " + std::to_string(length) +
                             " bytes runs past the end of the file (" + std::to_string(file->size()) + " bytes)",
                         offset);
    const uint8_t* base = file->data() + offset;
    auto zipResult = ZipArchive::open(base, length);
    if (!zipResult) {
        Error error = zipResult.error();
        error.offset += offset;
        error.detail = "torch archive at byte " + std::to_string(offset) + ": " + error.detail;
        return error;
    }
    const ZipArchive& zip = zipResult.value();
    if (zip.entries().empty()) return makeError(Status::Corrupt, "torch archive is empty", offset);
    const std::string& first = zip.entries().front().name;
    size_t slash = first.find('/');
    if (slash == std::string::npos || slash == 0)
        return makeError(Status::Corrupt, "item is not a torch archive (first entry '" + first + "')", offset);
    const std::string prefix = first.substr(0, slash);
    const ZipEntry* pickle = zip.find(prefix + "/data.pkl");
    if (!pickle) return makeError(Status::Corrupt, "torch archive has no '" + prefix + "/data.pkl'", offset);

    auto doc = std::make_unique<Checkpoint>();
    doc->file = file->path();
    doc->fileSize = length;
    doc->files.push_back(file);
    doc->archiveName = prefix;
    doc->format = Format::TorchZip;
    std::string pickleStorage;
    auto bytes = zip.read(*pickle, pickleStorage);
    if (!bytes) {
        Error error = bytes.error();
        error.offset += offset;
        return error;
    }
    auto parsed = unpickle(reinterpret_cast<const uint8_t*>(bytes.value().data()), bytes.value().size(), *doc->arena,
                           offset + (pickle->method == 0 ? pickle->dataOffset : 0));
    if (!parsed) return parsed.error();
    doc->root = parsed.value().root;
    doc->pickleProtocol = parsed.value().protocol;
    recordGlobals(*doc, parsed.value().globals);
    doc->replacedStates = parsed.value().replacedStates; // interpretTorchGraph applies the enum-member allowance

    auto locate = [&zip, offset, name = prefix + "/data/"](const std::string& key) {
        RecordLocation where;
        const ZipEntry* entry = zip.find(name + key);
        if (!entry) return where;
        where.found = true;
        where.offset = offset + entry->dataOffset;
        where.size = entry->uncompressedSize;
        if (entry->method != 0) { // torch never deflates storages; accept it like the file loader does
            auto owned = std::make_shared<std::string>();
            if (!zip.read(*entry, *owned)) return RecordLocation{};
            where.owned = owned;
        }
        return where;
    };
    interpretTorchGraph(*doc, locate);
    return doc;
}

} // namespace ckpt::distributed

// torch.save zip archives (1.6+ and 2.x) and TorchScript archives: one folder, data.pkl, data/<key>.
#include <charconv>

#include "core/analysis/archiverecords.h"
#include "core/analysis/loaderpayload.h"
#include "core/analysis/securityscan.h"
#include "core/format/formatloaders.h"
#include "core/format/torchgraph.h"
#include "core/format/torchscriptv1.h"
#include "core/limits.h"
#include "core/pickle/unpickler.h"
#include "core/zip/ziparchive.h"

namespace ckpt
{

namespace
{

// torch reads `version` (or `.data/version`) with stoull and accepts 1..10.
VoidResult checkVersion(const ZipArchive& zip, const std::string& prefix)
{
    const ZipEntry* entry = zip.find(prefix + "/.data/version");
    if (!entry) entry = zip.find(prefix + "/version");
    if (!entry) return makeError(Status::Corrupt, "torch archive has no 'version' record");
    std::string storage;
    auto bytes = zip.read(*entry, storage);
    if (!bytes) return bytes.error();
    std::string_view text = bytes.value();
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' '))
        text.remove_suffix(1);
    uint64_t version = 0;
    auto parsed = std::from_chars(text.data(), text.data() + text.size(), version);
    if (parsed.ec != std::errc() || parsed.ptr != text.data() + text.size())
        return makeError(Status::Corrupt, "torch archive version record is not a number", entry->dataOffset);
    if (version < 1 || version > 10)
        return makeError(Status::Unsupported,
                         "torch archive version " + std::to_string(version) + " is outside the supported 1..10",
                         entry->dataOffset);
    return Done{};
}

// Entry index of each `<prefix>/data/<n>` record by n, for n below the entry count (-1: no such record).
std::vector<int> numberedDataRecords(const ZipArchive& zip, const std::string& prefix)
{
    const std::string folder = prefix + "/data/";
    std::vector<int> byNumber(zip.entries().size(), -1);
    for (size_t i = 0; i < zip.entries().size(); ++i) {
        const std::string& name = zip.entries()[i].name;
        if (name.compare(0, folder.size(), folder) != 0) continue;
        auto number = recordNumber(std::string_view(name).substr(folder.size()));
        if (number && *number < byNumber.size() && byNumber[*number] < 0) // the first of duplicates, like find()
            byNumber[*number] = static_cast<int>(i);
    }
    return byNumber;
}

// A CRC-32 that does not match means the bytes changed after they were written. torch 1.13 does not check
// (its miniz is built without reader CRC checks) and loads such a file as it is, so this is a finding, not an
// error. Tensor bytes stay unread (mapped); every other record is small and read here (pickles where they are
// parsed).
std::vector<Finding> damagedSmallRecords(const ZipArchive& zip, const std::string& prefix)
{
    std::vector<Finding> found;
    const std::string tensors = prefix + "/data/";
    for (const ZipEntry& entry : zip.entries()) {
        const std::string& name = entry.name;
        if (name.compare(0, tensors.size(), tensors) == 0 || entry.uncompressedSize > limits::kMaxCheckedRecordBytes ||
            (name.size() >= 4 && name.compare(name.size() - 4, 4, ".pkl") == 0))
            continue;
        std::string storage;
        auto bytes = zip.read(entry, storage);
        if (!bytes) continue; // reported where the record is used
        if (std::string mismatch = ZipArchive::crcMismatch(entry, bytes.value()); !mismatch.empty())
            found.push_back({Severity::Unknown, mismatch + " (torch does not check and would load it as it is)"});
    }
    return found;
}

} // namespace

Result<std::unique_ptr<Checkpoint>> loadTorchZip(MappedFilePtr file, const Progress& progress)
{
    auto zipResult = ZipArchive::open(file->data(), file->size());
    if (!zipResult) return zipResult.error();
    const ZipArchive& zip = zipResult.value();
    if (zip.entries().empty()) return makeError(Status::Corrupt, "zip archive is empty");

    // Like torch's reader: the folder is the text before the first '/' of the first entry, and every
    // record must live in it.
    const std::string& first = zip.entries().front().name;
    size_t slash = first.find('/');
    if (slash == std::string::npos || slash == 0)
        return makeError(Status::Corrupt, "zip is not a torch archive: its first entry '" + first + "' has no folder");
    std::string prefix = first.substr(0, slash);
    for (const ZipEntry& entry : zip.entries())
        if (entry.name.compare(0, prefix.size() + 1, prefix + "/") != 0)
            return makeError(Status::Corrupt,
                             "torch archive has a record outside its folder '" + prefix + "': '" + entry.name + "'",
                             entry.localHeaderOffset);
    const ZipEntry* pickle = zip.find(prefix + "/data.pkl");
    if (!pickle && zip.find(prefix + "/model.json")) return loadTorchScriptV1(file, zip, prefix);
    if (!pickle)
        return makeError(Status::Corrupt, "zip has no '" + prefix + "/data.pkl' (nor a TorchScript v1 '" + prefix +
                                              "/model.json'): not a torch checkpoint");
    if (auto version = checkVersion(zip, prefix); !version) return version.error();

    auto doc = std::make_unique<Checkpoint>();
    doc->file = file->path();
    doc->fileSize = file->size();
    doc->files.push_back(file);
    doc->archiveName = prefix;
    doc->findings = damagedSmallRecords(zip, prefix);
    bool torchScript = zip.find(prefix + "/constants.pkl") != nullptr;
    doc->format = torchScript ? Format::TorchScript : Format::TorchZip;
    if (const ZipEntry* order = zip.find(prefix + "/byteorder")) {
        std::string storage;
        if (auto text = zip.read(*order, storage)) doc->metadata["byteorder"] = std::string(text.value());
        if (doc->metadata["byteorder"] != "little")
            doc->findings.push_back({Severity::Unknown, "byteorder record says '" + doc->metadata["byteorder"] +
                                                            "'; tensor bytes are shown as little-endian"});
    }

    std::string pickleStorage;
    auto pickleBytes = zip.read(*pickle, pickleStorage);
    if (!pickleBytes) return pickleBytes.error();
    if (std::string mismatch = ZipArchive::crcMismatch(*pickle, pickleBytes.value()); !mismatch.empty())
        doc->findings.push_back({Severity::Unknown, mismatch + " (torch does not check and would load it as it is)"});
    auto parsed = unpickle(reinterpret_cast<const uint8_t*>(pickleBytes.value().data()), pickleBytes.value().size(),
                           *doc->arena, pickle->method == 0 ? pickle->dataOffset : 0, progress);
    if (!parsed) return parsed.error();
    doc->root = parsed.value().root;
    doc->pickleProtocol = parsed.value().protocol;
    recordGlobals(*doc, parsed.value().globals);
    doc->replacedStates = parsed.value().replacedStates;
    std::vector<const Value*> roots{doc->root};
    scanOtherPickleRecords(*doc, zip, pickle->name, roots, doc->replacedStates);
    if (torchScript) scanTorchScriptCode(*doc, zip);
    scanLoaderPayloads(*doc, roots, doc->replacedStates, progress.cancel);

    // A 40k-tensor file looks up 40k records: torch's numbered ones come from a dense index, others by name.
    std::vector<int> dataByNumber = numberedDataRecords(zip, prefix);
    auto locate = [&zip, &dataByNumber, name = prefix + "/data/",
                   base = prefix.size() + 6](const std::string& key) mutable {
        RecordLocation where;
        const ZipEntry* entry = nullptr;
        if (auto number = recordNumber(key); number && *number < dataByNumber.size()) {
            if (dataByNumber[*number] >= 0) entry = &zip.entries()[static_cast<size_t>(dataByNumber[*number])];
        } else {
            name.resize(base);
            name += key;
            entry = zip.find(name);
        }
        if (!entry) return where;
        where.found = true;
        where.offset = entry->dataOffset;
        where.size = entry->uncompressedSize;
        if (entry->method != 0) { // deflated storage: inflate it once (rare; torch never writes these)
            auto owned = std::make_shared<std::string>();
            auto bytes = zip.read(*entry, *owned);
            if (!bytes) return RecordLocation{};
            where.owned = owned;
        }
        return where;
    };
    doc->storages.reserve(zip.entries().size()); // one record per storage, usually one tensor each
    doc->tensors.reserve(zip.entries().size());
    interpretTorchGraph(*doc, locate, torchScript ? GraphNaming::TorchScript : GraphNaming::Pickle, progress.cancel);
    if (progress.cancelled()) return makeError(Status::Cancelled, "cancelled");
    progress.tick(pickle->compressedSize, pickle->compressedSize);
    return doc;
}

} // namespace ckpt

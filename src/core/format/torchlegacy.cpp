// The pre-1.6 stream (`_use_new_zipfile_serialization=False`): magic, protocol 1001, sys_info, the main
// pickle, the sorted storage key list, then per storage an int64 element count and its raw bytes.
#include <cstring>
#include <optional>
#include <unordered_map>

#include "core/analysis/loaderpayload.h"
#include "core/analysis/securityscan.h"
#include "core/format/formatloaders.h"
#include "core/format/torchgraph.h"
#include "core/io/bytereader.h"
#include "core/limits.h"
#include "core/pickle/textcheck.h"
#include "core/pickle/unpickler.h"

namespace ckpt
{

namespace
{

// 0x1950a86a20f9469cfc6c as the little-endian LONG1 payload torch writes.
constexpr unsigned char kLegacyMagic[] = {0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19};
constexpr int64_t kLegacyProtocol = 1001;

struct LegacyStorage {
    DType dtype = DType::UInt8;
    uint64_t offset = 0;
    uint64_t size = 0;
};

} // namespace

bool hasLegacyMagic(const uint8_t* data, uint64_t size)
{
    // PROTO 2, LONG1 10, magic, STOP
    return size >= 15 && data[0] == 0x80 && data[2] == 0x8a && data[3] == 0x0a &&
           std::memcmp(data + 4, kLegacyMagic, sizeof kLegacyMagic) == 0;
}

Result<std::unique_ptr<Checkpoint>> loadTorchLegacy(MappedFilePtr file, const Progress& progress)
{
    auto doc = std::make_unique<Checkpoint>();
    doc->file = file->path();
    doc->fileSize = file->size();
    doc->files.push_back(file);
    doc->format = Format::TorchLegacy;
    ValueArena& arena = *doc->arena;
    const uint8_t* data = file->data();
    uint64_t size = file->size(), pos = 0;

    // Every pickle in the stream is scanned: torch.load unpickles all of them, so a payload in sys_info or
    // in the key list runs just like one in the main pickle.
    std::vector<const Value*> roots;
    auto next = [&](const char* what) -> Result<UnpickleResult> {
        auto parsed = unpickle(data + pos, size - pos, arena, pos, progress);
        if (!parsed) {
            Error error = parsed.error();
            error.detail = std::string("legacy stream ") + what + ": " + error.detail;
            return error;
        }
        pos += parsed.value().end;
        roots.push_back(parsed.value().root);
        recordGlobals(*doc, parsed.value().globals);
        const auto& replaced = parsed.value().replacedStates;
        doc->replacedStates.insert(doc->replacedStates.end(), replaced.begin(), replaced.end());
        return parsed;
    };

    auto magic = next("magic number");
    if (!magic) return magic.error();
    const Value* magicValue = magic.value().root;
    if (magicValue->kind != ValueKind::BigInt || magicValue->text.size() != sizeof kLegacyMagic ||
        std::memcmp(magicValue->text.data(), kLegacyMagic, sizeof kLegacyMagic) != 0)
        return makeError(Status::Corrupt, "legacy stream has a wrong magic number", 0);
    uint64_t protocolAt = pos;
    auto protocol = next("protocol version");
    if (!protocol) return protocol.error();
    if (protocol.value().root->kind != ValueKind::Int || protocol.value().root->integer != kLegacyProtocol)
        return makeError(Status::Unsupported, "legacy stream protocol version is not 1001", protocolAt);
    uint64_t sysInfoAt = pos;
    auto sysInfo = next("sys_info");
    if (!sysInfo) return sysInfo.error();
    // torch.load decodes every text of the stream as UTF-8 (encoding='utf-8'); one that does not decode makes it
    // raise UnicodeDecodeError, so the file does not load at all. Say so instead of showing it as healthy.
    auto undecodable = [&](const Value* root, const char* record, uint64_t at) -> std::optional<Error> {
        GraphVisitor visitor(doc->arena->size(), progress.cancel);
        const Value* bad = firstUndecodableText(root, visitor);
        if (visitor.cancelled()) return makeError(Status::Cancelled, "cancelled");
        if (!bad) return std::nullopt;
        // A stream that also imports something dangerous stays open, so the scan still says what would run
        // before torch.load reaches the bad text.
        if (doc->verdict() == Severity::Dangerous) {
            doc->findings.push_back({Severity::Unknown, std::string("the ") + record +
                                                            " record holds text that is "
                                                            "not valid UTF-8 at byte " +
                                                            std::to_string(at + bad->offset) +
                                                            "; torch.load fails there with UnicodeDecodeError"});
            return std::nullopt;
        }
        return makeError(Status::Corrupt,
                         std::string("legacy stream ") + record + " record (at byte " + std::to_string(at) +
                             ") is damaged: the text at byte " + std::to_string(at + bad->offset) +
                             " is not valid UTF-8, so torch.load fails on this file with UnicodeDecodeError",
                         at + bad->offset);
    };
    if (auto damaged = undecodable(sysInfo.value().root, "sys_info", sysInfoAt)) return *damaged;
    if (const Value* little = sysInfo.value().root->find("little_endian"))
        if (little->kind == ValueKind::Bool && !little->boolean)
            doc->findings.push_back({Severity::Unknown, "saved on a big-endian machine; bytes shown as stored"});

    uint64_t mainAt = pos;
    auto main = next("main pickle");
    if (!main) return main.error();
    if (auto damaged = undecodable(main.value().root, "main pickle", mainAt)) return *damaged;
    doc->root = main.value().root;
    doc->pickleProtocol = main.value().protocol;

    // Element size per storage key comes from the persistent ids in the main pickle.
    std::unordered_map<std::string, LegacyStorage> storages;
    for (const Value* pid : main.value().persistentIds) {
        const Value* t = pid->items.empty() ? nullptr : pid->items[0];
        if (!t || t->kind != ValueKind::Tuple || t->items.size() < 5 || !t->items[2]->isString() ||
            t->items[1]->kind != ValueKind::Global)
            continue;
        LegacyStorage storage;
        if (auto dtype = dtypeFromStorageClass(t->items[1]->text2)) storage.dtype = *dtype;
        storages.emplace(t->items[2]->text, storage);
    }

    uint64_t keysAt = pos;
    auto keys = next("storage key list");
    if (!keys) return keys.error();
    if (auto damaged = undecodable(keys.value().root, "storage key list", keysAt)) return *damaged;
    const Value* keyList = keys.value().root;
    if (keyList->kind != ValueKind::List && keyList->kind != ValueKind::Tuple)
        return makeError(Status::Corrupt, "legacy stream storage key list is not a list", pos);
    for (const Value* key : keyList->items) {
        if (!key->isString()) return makeError(Status::Corrupt, "legacy stream storage key is not a string", pos);
        auto it = storages.find(key->text);
        if (it == storages.end())
            return makeError(Status::Corrupt,
                             "legacy stream lists storage '" + key->text + "' that no tensor refers to", pos);
        ByteReader reader(data, size);
        reader.seek(pos);
        int64_t count = 0;
        if (!reader.readLE(count))
            return makeError(Status::Truncated, "legacy stream ends before storage '" + key->text + "'", pos);
        uint64_t bytes = 0;
        if (count < 0 ||
            __builtin_mul_overflow(static_cast<uint64_t>(count), dtypeElementSize(it->second.dtype), &bytes) ||
            bytes > reader.remaining())
            return makeError(Status::Truncated, "legacy stream ends inside storage '" + key->text + "'", pos);
        it->second.offset = pos + 8;
        it->second.size = bytes;
        pos += 8 + bytes;
        if (progress.cancelled()) return makeError(Status::Cancelled, "cancelled");
    }

    // torch.load stops after the storages, but a scanner must not: whatever follows is parsed as a pickle
    // when it looks like one, and its imports are reported.
    if (pos < size) {
        auto trailing = unpickle(data + pos, size - pos, arena, pos);
        if (trailing) {
            recordGlobals(*doc, trailing.value().globals);
            roots.push_back(trailing.value().root);
        }
        doc->findings.push_back({trailing ? Severity::Unknown : Severity::Safe,
                                 std::to_string(size - pos) + " bytes follow the last storage" +
                                     (trailing ? " and form a pickle (not loaded by torch; imports listed)" : "")});
    }

    auto locate = [&storages](const std::string& key) {
        RecordLocation where;
        auto it = storages.find(key);
        if (it == storages.end() || (it->second.offset == 0 && it->second.size == 0)) return where;
        where.found = true;
        where.offset = it->second.offset;
        where.size = it->second.size;
        return where;
    };
    scanLoaderPayloads(*doc, roots, doc->replacedStates, progress.cancel);
    interpretTorchGraph(*doc, locate, GraphNaming::Pickle, progress.cancel);
    if (progress.cancelled()) return makeError(Status::Cancelled, "cancelled");
    progress.tick(size, size);
    return doc;
}

Result<std::unique_ptr<Checkpoint>> loadRawPickle(MappedFilePtr file, const Progress& progress)
{
    auto doc = std::make_unique<Checkpoint>();
    doc->file = file->path();
    doc->fileSize = file->size();
    doc->files.push_back(file);
    doc->format = Format::Pickle;
    auto parsed = unpickle(file->data(), file->size(), *doc->arena, 0, progress);
    if (!parsed) return parsed.error();
    doc->root = parsed.value().root;
    doc->pickleProtocol = parsed.value().protocol;
    recordGlobals(*doc, parsed.value().globals);
    doc->replacedStates = parsed.value().replacedStates;
    scanLoaderPayloads(*doc, {doc->root}, doc->replacedStates, progress.cancel);
    interpretTorchGraph(
        *doc, [](const std::string&) { return RecordLocation{}; }, GraphNaming::Pickle, progress.cancel);
    if (progress.cancelled()) return makeError(Status::Cancelled, "cancelled");
    return doc;
}

} // namespace ckpt

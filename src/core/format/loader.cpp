#include "core/format/loader.h"

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string_view>

#include "core/catchboundary.h"
#include "core/distributed/directoryloader.h"
#include "core/format/formatloaders.h"

namespace ckpt
{

bool hasLegacyMagic(const uint8_t* data, uint64_t size); // torchlegacy.cpp

namespace
{

bool looksLikeSafetensors(const uint8_t* data, uint64_t size)
{
    if (size < 10) return false;
    uint64_t headerSize = 0;
    for (int i = 0; i < 8; ++i)
        headerSize |= static_cast<uint64_t>(data[i]) << (8 * i);
    // The header size is not checked against the file here, so an oversized claim reaches the loader and
    // is rejected there with the limit or the truncation named.
    return data[8] == '{' && headerSize >= 2;
}

bool looksLikeIndexJson(const uint8_t* data, uint64_t size)
{
    uint64_t i = 0;
    while (i < size && (data[i] == ' ' || data[i] == '\n' || data[i] == '\r' || data[i] == '\t'))
        ++i;
    if (i >= size || data[i] != '{') return false;
    std::string_view head(reinterpret_cast<const char*>(data), std::min<uint64_t>(size, 1 << 20));
    return head.find("\"weight_map\"") != std::string_view::npos;
}

Result<Format> sniff(const MappedFile& file)
{
    const uint8_t* d = file.data();
    uint64_t n = file.size();
    if (n == 0) return makeError(Status::Corrupt, "file is empty");
    if (n >= 4 && std::memcmp(d, "PK\x03\x04", 4) == 0) return Format::TorchZip;
    if (hasLegacyMagic(d, n)) return Format::TorchLegacy;
    // The legacy header with every byte above 0x7f turned into '?' (a text-mode or wrong-encoding copy):
    // PROTO 2, LONG1 10 and the magic lose their high bytes, so nothing of the file can be trusted.
    if (n >= 15 && std::memcmp(d, "?\x02?\x0a\x6c??F?\x20\x6a?P\x19\x2e", 15) == 0)
        return makeError(Status::Corrupt,
                         "legacy torch stream whose bytes above 0x7f were all replaced by '?' (0x3f), as a text-mode "
                         "or re-encoding copy does: the magic number at byte 0 is damaged and the original bytes "
                         "cannot be recovered; torch.load fails on it too ('invalid load key')");
    if (looksLikeTorchTar(d, n)) return Format::TorchLegacy; // the pre-1.0 tar container of the legacy format
    if (looksLikeSafetensors(d, n)) return Format::Safetensors;
    if (looksLikeIndexJson(d, n)) return Format::Sharded;
    if (n >= 2 && d[0] == 0x80 && d[1] <= 5) return Format::Pickle;
    char head[64];
    std::snprintf(head, sizeof head, "%02x %02x %02x %02x", d[0], n > 1 ? d[1] : 0, n > 2 ? d[2] : 0, n > 3 ? d[3] : 0);
    return makeError(Status::Unsupported, std::string("not a PyTorch checkpoint, safetensors file or shard index "
                                                      "(first bytes: ") +
                                              head + ")");
}

} // namespace

Result<Format> sniffFormat(const std::string& path)
{
    auto file = MappedFile::open(path);
    if (!file) return file.error();
    return sniff(*file.value());
}

namespace
{

Result<CheckpointPtr> loadUnguarded(const std::string& path, const Progress& progress)
{
    if (std::error_code ec; std::filesystem::is_directory(path, ec)) { // a distributed checkpoint: DCP or DeepSpeed
        auto loaded = distributed::loadDirectory(path, progress);
        if (!loaded) return loaded.error();
        return CheckpointPtr(std::move(loaded).value());
    }
    auto file = MappedFile::open(path);
    if (!file) return file.error();
    auto format = sniff(*file.value());
    if (!format) return format.error();
    Result<std::unique_ptr<Checkpoint>> loaded = makeError(Status::Unsupported, "unknown format");
    switch (format.value()) {
    case Format::TorchZip:
    case Format::TorchScript:
        loaded = loadTorchZip(file.value(), progress);
        break;
    case Format::TorchLegacy:
        loaded = looksLikeTorchTar(file.value()->data(), file.value()->size())
                     ? loadTorchTar(file.value(), progress)
                     : loadTorchLegacy(file.value(), progress);
        break;
    case Format::Safetensors:
        loaded = loadSafetensors(file.value(), progress);
        break;
    case Format::Sharded:
        loaded = loadSharded(file.value(), progress);
        break;
    case Format::Pickle:
        loaded = loadRawPickle(file.value(), progress);
        break;
    case Format::Dcp: // directories, never sniffed from a file's bytes
    case Format::DeepSpeed:
        break;
    }
    if (!loaded) return loaded.error();
    return CheckpointPtr(std::move(loaded).value());
}

} // namespace

Result<CheckpointPtr> loadCheckpoint(const std::string& path, const Progress& progress)
{
    return catchBoundary("loading", [&] { return loadUnguarded(path, progress); });
}

} // namespace ckpt

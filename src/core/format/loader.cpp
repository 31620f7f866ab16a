#include "core/format/loader.h"

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string_view>

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
    if (n >= 262 && std::memcmp(d + 257, "ustar", 5) == 0)
        return makeError(Status::Unsupported, "pre-1.0 tar-format torch checkpoint: not supported");
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

Result<CheckpointPtr> loadCheckpoint(const std::string& path, const Progress& progress)
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
        loaded = loadTorchLegacy(file.value(), progress);
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

} // namespace ckpt

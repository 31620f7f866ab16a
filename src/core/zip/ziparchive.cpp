#include "core/zip/ziparchive.h"

#include <algorithm>
#include <cstdio>
#include <zlib.h>

#include "core/io/bytereader.h"
#include "core/limits.h"
#include "core/zip/crc32.h"
#include "core/zip/zipsignatures.h"

namespace ckpt
{

namespace
{

constexpr uint64_t kEndRecordSize = 22;
constexpr uint64_t kMaxCommentSize = 0xFFFF;
constexpr uint16_t kFlagEncrypted = 1u << 0;
constexpr uint16_t kFlagStrongEncryption = 1u << 6;

struct DirectoryLocation {
    uint64_t offset = 0;
    uint64_t entries = 0;
};

Result<uint64_t> findEndRecord(const uint8_t* data, uint64_t size)
{
    if (size < kEndRecordSize) return makeError(Status::Truncated, "too short to be a zip archive", size);
    uint64_t lowest = size > kEndRecordSize + kMaxCommentSize ? size - kEndRecordSize - kMaxCommentSize : 0;
    for (uint64_t pos = size - kEndRecordSize + 1; pos-- > lowest;) {
        if (data[pos] == 0x50 && data[pos + 1] == 0x4b && data[pos + 2] == 0x05 && data[pos + 3] == 0x06) return pos;
    }
    return makeError(Status::Corrupt, "zip end-of-central-directory record not found (truncated file?)", size);
}

Result<DirectoryLocation> readDirectoryLocation(const uint8_t* data, uint64_t size, uint64_t endPos)
{
    ByteReader end(data, size);
    end.seek(endPos + 10);
    uint16_t entries16 = 0;
    uint32_t dirSize32 = 0, dirOffset32 = 0;
    end.readLE(entries16);
    end.readLE(dirSize32);
    end.readLE(dirOffset32);
    DirectoryLocation location{dirOffset32, entries16};

    // A zip64 locator sits right before the classic end record; its values win when present.
    if (endPos >= 20) {
        ByteReader locator(data, size);
        locator.seek(endPos - 20);
        uint32_t sig = 0;
        locator.readLE(sig);
        if (sig == zipsig::kZip64Locator) {
            uint32_t disk = 0;
            uint64_t zip64EndPos = 0;
            locator.readLE(disk);
            locator.readLE(zip64EndPos);
            ByteReader end64(data, size);
            uint32_t sig64 = 0;
            if (!end64.seek(zip64EndPos) || !end64.readLE(sig64) || sig64 != zipsig::kZip64EndRecord)
                return makeError(Status::Corrupt, "zip64 end record missing where its locator points", zip64EndPos);
            uint64_t recordSize = 0, entriesOnDisk = 0, entriesTotal = 0, dirSize = 0, dirOffset = 0;
            uint16_t made = 0, needed = 0;
            uint32_t thisDisk = 0, dirDisk = 0;
            if (!end64.readLE(recordSize) || !end64.readLE(made) || !end64.readLE(needed) || !end64.readLE(thisDisk) ||
                !end64.readLE(dirDisk) || !end64.readLE(entriesOnDisk) || !end64.readLE(entriesTotal) ||
                !end64.readLE(dirSize) || !end64.readLE(dirOffset))
                return makeError(Status::Truncated, "zip64 end record is cut short", zip64EndPos);
            location = DirectoryLocation{dirOffset, entriesTotal};
        }
    }
    if (location.entries > limits::kMaxZipEntries)
        return makeError(Status::LimitExceeded,
                         "zip declares " + std::to_string(location.entries) +
                             " entries, over the limit kMaxZipEntries (" + std::to_string(limits::kMaxZipEntries) + ")",
                         endPos);
    if (location.offset > size) return makeError(Status::Corrupt, "zip central directory lies past the end", endPos);
    return location;
}

// Applies the zip64 extra field (id 1) to the fields that were saturated at 0xFFFFFFFF.
void applyZip64Extra(std::string_view extra, ZipEntry& entry, bool usizeSat, bool csizeSat, bool offsetSat)
{
    ByteReader reader(reinterpret_cast<const uint8_t*>(extra.data()), extra.size());
    while (reader.remaining() >= 4) {
        uint16_t id = 0, length = 0;
        reader.readLE(id);
        reader.readLE(length);
        if (length > reader.remaining()) return;
        if (id == zipsig::kZip64ExtraId) {
            ByteReader field(reader.current(), length);
            if (usizeSat) field.readLE(entry.uncompressedSize);
            if (csizeSat) field.readLE(entry.compressedSize);
            if (offsetSat) field.readLE(entry.localHeaderOffset);
            return;
        }
        reader.skip(length);
    }
}

} // namespace

Result<ZipArchive> ZipArchive::open(const uint8_t* data, uint64_t size)
{
    auto endPos = findEndRecord(data, size);
    if (!endPos) return endPos.error();
    auto location = readDirectoryLocation(data, size, endPos.value());
    if (!location) return location.error();

    ZipArchive archive;
    archive.m_data = data;
    archive.m_size = size;
    archive.m_entries.reserve(std::min<uint64_t>(location.value().entries, 1u << 20));
    ByteReader dir(data, size);
    dir.seek(location.value().offset);
    for (uint64_t i = 0; i < location.value().entries; ++i) {
        uint64_t at = dir.position();
        uint32_t sig = 0, crc = 0, csize = 0, usize = 0, externalAttr = 0, localOffset = 0;
        uint16_t made = 0, needed = 0, flags = 0, method = 0, time = 0, date = 0, nameLen = 0, extraLen = 0,
                 commentLen = 0, disk = 0, internalAttr = 0;
        if (!dir.readLE(sig)) return makeError(Status::Truncated, "zip central directory is cut short", at);
        if (sig != zipsig::kCentralHeader)
            return makeError(Status::Corrupt, "bad zip central directory entry signature", at);
        bool ok = dir.readLE(made) && dir.readLE(needed) && dir.readLE(flags) && dir.readLE(method) &&
                  dir.readLE(time) && dir.readLE(date) && dir.readLE(crc) && dir.readLE(csize) && dir.readLE(usize) &&
                  dir.readLE(nameLen) && dir.readLE(extraLen) && dir.readLE(commentLen) && dir.readLE(disk) &&
                  dir.readLE(internalAttr) && dir.readLE(externalAttr) && dir.readLE(localOffset);
        std::string_view name, extra, comment;
        if (!ok || !dir.readBytes(nameLen, name) || !dir.readBytes(extraLen, extra) ||
            !dir.readBytes(commentLen, comment))
            return makeError(Status::Truncated, "zip central directory entry is cut short", at);
        ZipEntry entry;
        entry.name = std::string(name);
        entry.method = method;
        entry.crc32 = crc;
        entry.compressedSize = csize;
        entry.uncompressedSize = usize;
        entry.localHeaderOffset = localOffset;
        applyZip64Extra(extra, entry, usize == 0xFFFFFFFFu, csize == 0xFFFFFFFFu, localOffset == 0xFFFFFFFFu);
        // Bit 0: traditional PKWARE encryption, bit 6: strong encryption. torch's reader (miniz) refuses both; the
        // bytes would be ciphertext read as a pickle or a tensor.
        if (flags & (kFlagEncrypted | kFlagStrongEncryption))
            return makeError(Status::Unsupported,
                             "zip entry '" + entry.name + "' is encrypted; torch.load refuses encrypted archives", at);
        if (entry.method != 0 && entry.method != 8)
            return makeError(Status::Unsupported,
                             "zip entry '" + entry.name + "' uses compression method " + std::to_string(method) +
                                 " (only stored and deflate are supported)",
                             at);

        // The payload starts after the LOCAL header's name and extra, which may differ from the central ones
        // (torch pads with a local "FB" extra field to align tensor data).
        ByteReader local(data, size);
        uint32_t localSig = 0;
        uint16_t localNameLen = 0, localExtraLen = 0;
        if (!local.seek(entry.localHeaderOffset) || !local.readLE(localSig) || !local.skip(22) ||
            !local.readLE(localNameLen) || !local.readLE(localExtraLen))
            return makeError(Status::Truncated, "zip local header of '" + entry.name + "' lies past the end",
                             entry.localHeaderOffset);
        if (localSig != zipsig::kLocalHeader)
            return makeError(Status::Corrupt, "bad zip local header signature for '" + entry.name + "'",
                             entry.localHeaderOffset);
        entry.dataOffset = entry.localHeaderOffset + 30 + localNameLen + localExtraLen;
        if (entry.dataOffset > size || entry.compressedSize > size - entry.dataOffset)
            return makeError(Status::Truncated, "zip entry '" + entry.name + "' extends past the end of the file",
                             entry.dataOffset);
        archive.m_entries.push_back(std::move(entry));
    }
    archive.m_byName.reserve(archive.m_entries.size());
    const std::vector<ZipEntry>& entries = archive.m_entries;
    for (size_t i = 0; i < entries.size(); ++i) // the first of duplicate names wins
        archive.m_byName.findOrAdd(entries[i].name, static_cast<int32_t>(i),
                                   [&](int32_t at) { return std::string_view(entries[at].name); });
    return archive;
}

std::string ZipArchive::crcMismatch(const ZipEntry& entry, std::string_view bytes)
{
    uint32_t crc = zipCrc32(bytes.data(), bytes.size());
    if (crc == entry.crc32) return {};
    char text[64];
    std::snprintf(text, sizeof text, "stored %08x, computed %08x", entry.crc32, crc);
    return "zip record '" + entry.name + "' fails its CRC-32 check (" + text +
           "): its bytes changed after it was written";
}

const ZipEntry* ZipArchive::find(std::string_view name) const
{
    const int32_t at = m_byName.find(name, [&](int32_t i) { return std::string_view(m_entries[i].name); });
    return at < 0 ? nullptr : &m_entries[at];
}

Result<std::string_view> ZipArchive::read(const ZipEntry& entry, std::string& storage) const
{
    const uint8_t* start = m_data + entry.dataOffset;
    if (entry.method == 0) {
        if (entry.uncompressedSize != entry.compressedSize)
            return makeError(Status::Corrupt, "stored zip entry '" + entry.name + "' has mismatched sizes",
                             entry.localHeaderOffset);
        return std::string_view(reinterpret_cast<const char*>(start), entry.compressedSize);
    }
    // Deflate: refuse bombs before allocating anything.
    if (entry.uncompressedSize > limits::kMaxInflatedRecordBytes)
        return makeError(Status::LimitExceeded,
                         "zip entry '" + entry.name + "' inflates to " + std::to_string(entry.uncompressedSize) +
                             " bytes, over the limit kMaxInflatedRecordBytes",
                         entry.localHeaderOffset);
    if (entry.uncompressedSize > std::max<uint64_t>(entry.compressedSize, 1024) * limits::kMaxInflateRatio)
        return makeError(Status::LimitExceeded,
                         "zip entry '" + entry.name + "' claims a compression ratio over the limit kMaxInflateRatio",
                         entry.localHeaderOffset);
    storage.assign(entry.uncompressedSize, '\0');
    z_stream stream{};
    if (inflateInit2(&stream, -MAX_WBITS) != Z_OK)
        return makeError(Status::Corrupt, "zlib could not start inflating", entry.localHeaderOffset);
    uint64_t inRemaining = entry.compressedSize, outDone = 0;
    const uint8_t* in = start;
    int rc = Z_OK;
    while (rc == Z_OK) {
        uInt inChunk = static_cast<uInt>(std::min<uint64_t>(inRemaining, 1u << 30));
        uInt outChunk = static_cast<uInt>(std::min<uint64_t>(storage.size() - outDone, 1u << 30));
        stream.next_in = const_cast<Bytef*>(in);
        stream.avail_in = inChunk;
        stream.next_out = reinterpret_cast<Bytef*>(storage.data() + outDone);
        stream.avail_out = outChunk;
        rc = inflate(&stream, Z_NO_FLUSH);
        uint64_t consumed = inChunk - stream.avail_in, produced = outChunk - stream.avail_out;
        in += consumed;
        inRemaining -= consumed;
        outDone += produced;
        if (rc == Z_OK && consumed == 0 && produced == 0) rc = Z_BUF_ERROR;
    }
    inflateEnd(&stream);
    if (rc != Z_STREAM_END || outDone != entry.uncompressedSize)
        return makeError(Status::Corrupt, "zip entry '" + entry.name + "' does not inflate to its declared size",
                         entry.localHeaderOffset);
    return std::string_view(storage);
}

} // namespace ckpt

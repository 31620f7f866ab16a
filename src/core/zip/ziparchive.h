#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/io/flatnameindex.h"
#include "core/result.h"

namespace ckpt
{

struct ZipEntry {
    std::string name;
    uint16_t method = 0; // 0 stored, 8 deflate
    uint32_t crc32 = 0;
    uint64_t compressedSize = 0;
    uint64_t uncompressedSize = 0;
    uint64_t localHeaderOffset = 0;
    uint64_t dataOffset = 0; // from the LOCAL header (name and extra lengths there), as torch's mmap does
};

// Reads a zip's central directory over a mapped span (zip64 aware). Payloads stay where they are:
// stored entries are addressed in place, deflated ones are inflated on request under a size limit.
class ZipArchive
{
public:
    static Result<ZipArchive> open(const uint8_t* data, uint64_t size);
    // Movable (the entries' buffer moves with the names the index points into), never copied.
    ZipArchive(ZipArchive&&) = default;
    ZipArchive& operator=(ZipArchive&&) = default;
    ZipArchive(const ZipArchive&) = delete;
    ZipArchive& operator=(const ZipArchive&) = delete;

    const std::vector<ZipEntry>& entries() const { return m_entries; }
    const ZipEntry* find(std::string_view name) const;
    // The entry's bytes: a view into the mapping for stored entries, inflated into `storage` otherwise.
    Result<std::string_view> read(const ZipEntry& entry, std::string& storage) const;
    // Empty when `bytes` (the entry's content, from read()) match the entry's CRC-32; else a sentence naming the
    // record and both values. For the small records (data.pkl, version, byteorder...): tensor bytes stay unread.
    static std::string crcMismatch(const ZipEntry& entry, std::string_view bytes);

private:
    ZipArchive() = default;
    const uint8_t* m_data = nullptr;
    uint64_t m_size = 0;
    std::vector<ZipEntry> m_entries;
    // Entries by name, over m_entries' own names (no copy of 40k names, no node per name).
    FlatNameIndex m_byName;
};

} // namespace ckpt

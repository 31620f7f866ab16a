#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/progress.h"
#include "core/result.h"
#include "core/zip/zipwritersink.h"

namespace ckpt
{

// Writes a torch-style zip: every record stored (no compression), each payload starting on a 64-byte
// boundary through an "FB" padding extra field (so torch can mmap it), correct CRC-32, zip64 fields
// when a size or offset needs them. Payloads are copied from the caller's pointer to the sink in chunks;
// the CRC (and optionally an XXH3 hash) is computed on each chunk while it is hot in cache.
class AlignedZipWriter
{
public:
    static constexpr uint64_t kAlignment = 64;

    // `folder` is the archive's top folder; every record is written as folder/name.
    AlignedZipWriter(ZipWriterSink& sink, std::string folder, bool forceZip64 = false);

    // Adds one record; when xxh3 is given it receives the XXH3-64 hash of the payload.
    VoidResult addRecord(const std::string& name, const void* data, uint64_t size, uint64_t* xxh3 = nullptr);
    // A run of payload bytes: the next `size` bytes of a record, valid until the source is called again.
    struct PayloadPiece {
        const uint8_t* data = nullptr;
        uint64_t size = 0;
    };
    // Produces the payload from byte `at` on, in pieces of the source's choosing (consolidation fills one
    // block of rows at a time), so a record can be written without ever holding all of it.
    using PayloadSource = std::function<Result<PayloadPiece>(uint64_t at)>;
    VoidResult addRecordFrom(const std::string& name, uint64_t size, const PayloadSource& source,
                             uint64_t* xxh3 = nullptr);
    // Reports payload bytes written against `totalBytes` and honours the cancel flag between chunks.
    void setProgress(const Progress* progress, uint64_t totalBytes)
    {
        m_progress = progress;
        m_progressTotal = totalBytes;
    }
    // Writes the central directory and end records; no record may be added afterwards.
    VoidResult finish();

    // Offset of the most recent record's payload (tests check the alignment with it).
    uint64_t lastPayloadOffset() const { return m_lastPayloadOffset; }

private:
    struct Entry {
        std::string name;
        uint32_t crc = 0;
        uint64_t size = 0;
        uint64_t headerOffset = 0;
    };

    ZipWriterSink& m_sink;
    std::string m_folder;
    bool m_forceZip64 = false;
    bool m_finished = false;
    uint64_t m_lastPayloadOffset = 0;
    const Progress* m_progress = nullptr;
    uint64_t m_progressTotal = 0;
    uint64_t m_progressDone = 0;
    std::vector<Entry> m_entries;
};

} // namespace ckpt

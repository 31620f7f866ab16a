#include "core/zip/alignedzipwriter.h"

#include <algorithm>

#include "core/zip/crc32.h"
#include "core/zip/zipsignatures.h"
#include <xxhash.h>

namespace ckpt
{

namespace
{

constexpr uint16_t kVersionZip64 = 45;
constexpr uint16_t kVersionStored = 20;
constexpr uint16_t kFlagUtf8 = 0x0800;
constexpr uint16_t kDosDate = 0x21; // 1980-01-01: a valid date, so every zip tool lists the entries calmly
constexpr uint32_t kMax32 = 0xffffffffu;
constexpr uint16_t kMax16 = 0xffff;
// Large enough to amortise the write() call, small enough that the CRC and hash passes stay in cache.
constexpr uint64_t kChunk = 4ull << 20;

class Bytes
{
public:
    template <class T> void le(T value)
    {
        for (size_t i = 0; i < sizeof(T); ++i)
            m_data.push_back(static_cast<char>((static_cast<uint64_t>(value) >> (8 * i)) & 0xff));
    }
    void text(const std::string& value) { m_data += value; }
    const std::string& data() const { return m_data; }

private:
    std::string m_data;
};

bool needsZip64(uint64_t value)
{
    return value >= kMax32;
}

} // namespace

AlignedZipWriter::AlignedZipWriter(ZipWriterSink& sink, std::string folder, bool forceZip64)
    : m_sink(sink), m_folder(std::move(folder)), m_forceZip64(forceZip64)
{
}

VoidResult AlignedZipWriter::addRecord(const std::string& name, const void* data, uint64_t size, uint64_t* xxh3)
{
    const auto* bytes = static_cast<const uint8_t*>(data);
    return addRecordFrom(
        name, size,
        [bytes, size](uint64_t at) -> Result<PayloadPiece> {
            return PayloadPiece{bytes + at, std::min(kChunk, size - at)};
        },
        xxh3);
}

VoidResult AlignedZipWriter::addRecordFrom(const std::string& name, uint64_t size, const PayloadSource& source,
                                           uint64_t* xxh3)
{
    if (m_finished) return makeError(Status::Unsupported, "a record was added after the zip directory was written");
    std::string fullName = m_folder + "/" + name;
    if (fullName.size() > kMax16) return makeError(Status::Unsupported, "record name longer than 65535 bytes");
    uint64_t headerOffset = m_sink.position();
    bool zip64 = m_forceZip64 || needsZip64(size);

    // Local header: sizes are known up front, the CRC is patched in after the payload, so no data
    // descriptor is needed and every reader (Python zipfile, miniz, ours) sees final values here.
    uint64_t extraStart = headerOffset + 30 + fullName.size();
    uint64_t zip64Extra = zip64 ? 4 + 16 : 0;
    uint64_t unpadded = extraStart + zip64Extra + 4;
    uint64_t padding = (kAlignment - unpadded % kAlignment) % kAlignment;
    Bytes header;
    header.le<uint32_t>(zipsig::kLocalHeader);
    header.le<uint16_t>(zip64 ? kVersionZip64 : kVersionStored);
    header.le<uint16_t>(kFlagUtf8);
    header.le<uint16_t>(0); // stored
    header.le<uint16_t>(0); // time
    header.le<uint16_t>(kDosDate);
    header.le<uint32_t>(0); // CRC, patched below
    header.le<uint32_t>(zip64 ? kMax32 : static_cast<uint32_t>(size));
    header.le<uint32_t>(zip64 ? kMax32 : static_cast<uint32_t>(size));
    header.le<uint16_t>(static_cast<uint16_t>(fullName.size()));
    header.le<uint16_t>(static_cast<uint16_t>(zip64Extra + 4 + padding));
    header.text(fullName);
    if (zip64) {
        header.le<uint16_t>(zipsig::kZip64ExtraId);
        header.le<uint16_t>(16);
        header.le<uint64_t>(size);
        header.le<uint64_t>(size);
    }
    header.text("FB");
    header.le<uint16_t>(static_cast<uint16_t>(padding));
    header.text(std::string(padding, 'Z'));
    if (auto done = m_sink.write(header.data().data(), header.data().size()); !done) return done.error();
    m_lastPayloadOffset = m_sink.position();

    uint32_t crc = 0;
    XXH3_state_t* hashState = nullptr;
    if (xxh3) {
        hashState = XXH3_createState();
        XXH3_64bits_reset(hashState);
    }
    VoidResult result = Done{};
    for (uint64_t at = 0; at < size;) {
        Result<PayloadPiece> piece = source(at);
        if (!piece) {
            result = piece.error();
            break;
        }
        const uint8_t* bytes = piece.value().data;
        uint64_t length = std::min(piece.value().size, size - at);
        if (length == 0) {
            result = makeError(Status::Corrupt, "the payload of '" + name + "' ended early");
            break;
        }
        at += length;
        crc = zipCrc32(bytes, length, crc);
        if (hashState) XXH3_64bits_update(hashState, bytes, length);
        result = m_sink.write(bytes, length);
        if (!result) break;
        m_progressDone += length;
        if (m_progress) {
            if (m_progress->cancelled()) {
                result = makeError(Status::Cancelled, "the export was cancelled");
                break;
            }
            m_progress->tick(m_progressDone, m_progressTotal);
        }
    }
    if (hashState) {
        if (result) *xxh3 = XXH3_64bits_digest(hashState);
        XXH3_freeState(hashState);
    }
    if (!result) return result.error();
    uint32_t crcValue = crc;
    Bytes crcBytes;
    crcBytes.le<uint32_t>(crcValue);
    if (auto done = m_sink.writeAt(headerOffset + 14, crcBytes.data().data(), 4); !done) return done.error();
    m_entries.push_back(Entry{std::move(fullName), crcValue, size, headerOffset});
    return Done{};
}

VoidResult AlignedZipWriter::finish()
{
    if (m_finished) return Done{};
    m_finished = true;
    uint64_t directoryOffset = m_sink.position();
    Bytes directory;
    for (const Entry& entry : m_entries) {
        bool bigSize = m_forceZip64 || needsZip64(entry.size);
        bool bigOffset = m_forceZip64 || needsZip64(entry.headerOffset);
        uint16_t extraLength = (bigSize ? 16 : 0) + (bigOffset ? 8 : 0);
        if (extraLength) extraLength += 4;
        directory.le<uint32_t>(zipsig::kCentralHeader);
        directory.le<uint16_t>(0x0300 | kVersionZip64); // made by: unix, spec 4.5
        directory.le<uint16_t>(bigSize || bigOffset ? kVersionZip64 : kVersionStored);
        directory.le<uint16_t>(kFlagUtf8);
        directory.le<uint16_t>(0);
        directory.le<uint16_t>(0);
        directory.le<uint16_t>(kDosDate);
        directory.le<uint32_t>(entry.crc);
        directory.le<uint32_t>(bigSize ? kMax32 : static_cast<uint32_t>(entry.size));
        directory.le<uint32_t>(bigSize ? kMax32 : static_cast<uint32_t>(entry.size));
        directory.le<uint16_t>(static_cast<uint16_t>(entry.name.size()));
        directory.le<uint16_t>(extraLength);
        directory.le<uint16_t>(0);              // comment
        directory.le<uint16_t>(0);              // disk
        directory.le<uint16_t>(0);              // internal attributes
        directory.le<uint32_t>(0100644u << 16); // external attributes: a plain file, rw-r--r--
        directory.le<uint32_t>(bigOffset ? kMax32 : static_cast<uint32_t>(entry.headerOffset));
        directory.text(entry.name);
        if (extraLength) {
            // zip64 extra: only the fields whose 32-bit slot holds 0xffffffff, in this order.
            directory.le<uint16_t>(zipsig::kZip64ExtraId);
            directory.le<uint16_t>(static_cast<uint16_t>(extraLength - 4));
            if (bigSize) {
                directory.le<uint64_t>(entry.size);
                directory.le<uint64_t>(entry.size);
            }
            if (bigOffset) directory.le<uint64_t>(entry.headerOffset);
        }
    }
    uint64_t directorySize = directory.data().size();
    uint64_t count = m_entries.size();
    bool zip64End = m_forceZip64 || count >= kMax16 || needsZip64(directoryOffset) || needsZip64(directorySize);
    if (zip64End) {
        uint64_t zip64EndOffset = directoryOffset + directorySize;
        directory.le<uint32_t>(zipsig::kZip64EndRecord);
        directory.le<uint64_t>(44); // size of the rest of this record
        directory.le<uint16_t>(0x0300 | kVersionZip64);
        directory.le<uint16_t>(kVersionZip64);
        directory.le<uint32_t>(0);
        directory.le<uint32_t>(0);
        directory.le<uint64_t>(count);
        directory.le<uint64_t>(count);
        directory.le<uint64_t>(directorySize);
        directory.le<uint64_t>(directoryOffset);
        directory.le<uint32_t>(zipsig::kZip64Locator);
        directory.le<uint32_t>(0);
        directory.le<uint64_t>(zip64EndOffset);
        directory.le<uint32_t>(1);
    }
    directory.le<uint32_t>(zipsig::kEndRecord);
    directory.le<uint16_t>(0);
    directory.le<uint16_t>(0);
    directory.le<uint16_t>(zip64End && count >= kMax16 ? kMax16 : static_cast<uint16_t>(count));
    directory.le<uint16_t>(zip64End && count >= kMax16 ? kMax16 : static_cast<uint16_t>(count));
    directory.le<uint32_t>(needsZip64(directorySize) ? kMax32 : static_cast<uint32_t>(directorySize));
    directory.le<uint32_t>(
        zip64End && (m_forceZip64 || needsZip64(directoryOffset)) ? kMax32 : static_cast<uint32_t>(directoryOffset));
    directory.le<uint16_t>(0); // comment
    return m_sink.write(directory.data().data(), directory.data().size());
}

} // namespace ckpt

#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "core/result.h"
#include "core/zip/zipwritersink.h"

namespace ckpt
{

// An output file written under a temporary name in the target's directory and renamed over the
// target only by commit(), so readers never see a half-written file. Unless committed, the temporary
// file is removed when the object dies, whatever went wrong in between.
class AtomicFile : public ZipWriterSink
{
public:
    // Creates "<dir>/.<name>.ckpt-XXXXXX" beside `target`; IoError if the directory is not writable.
    static Result<std::unique_ptr<AtomicFile>> create(const std::string& target);
    ~AtomicFile() override;
    AtomicFile(const AtomicFile&) = delete;
    AtomicFile& operator=(const AtomicFile&) = delete;

    VoidResult write(const void* data, size_t size) override;
    VoidResult writeAt(uint64_t offset, const void* data, size_t size) override;
    uint64_t position() const override { return m_position; }

    // Flushes the bytes to the disk (fsync) and closes the descriptor, so the file can be verified.
    VoidResult close();
    // Renames the closed temporary file over the target and syncs the directory entry.
    VoidResult commit();
    const std::string& tempPath() const { return m_tempPath; }
    const std::string& target() const { return m_target; }

private:
    AtomicFile() = default;
    std::string m_target;
    std::string m_tempPath;
    int m_fd = -1;
    uint64_t m_position = 0;
    uint64_t m_flushed = 0; // bytes handed to writeback with sync_file_range
    static constexpr uint64_t kWritebackStep = 32ull << 20;
    bool m_committed = false;
};

} // namespace ckpt

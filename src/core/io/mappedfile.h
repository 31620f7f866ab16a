#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "core/result.h"

namespace ckpt
{

// A read-only memory mapping of a whole regular file. Opening a checkpoint maps it and parses only the
// pickle and directory; tensor bytes stay on disk until somebody reads them. A file that shrinks under the
// mapping cannot crash the process (see checkUnchanged()).
class MappedFile
{
public:
    static Result<std::shared_ptr<const MappedFile>> open(const std::string& path);
    ~MappedFile();
    MappedFile(const MappedFile&) = delete;
    MappedFile& operator=(const MappedFile&) = delete;

    const uint8_t* data() const { return m_data; }
    uint64_t size() const { return m_size; }
    const std::string& path() const { return m_path; }

    // Status::FileChanged when the file was truncated, rewritten or replaced since it was opened (a read of the
    // mapping hit a page past its new end, or its size, modification time or inode differ). Every operation
    // that reads tensor bytes calls it when done and discards its result on an error: the bytes it read may
    // be zeros (a page past the end reads as zeros instead of raising SIGBUS) or a mix of old and new.
    VoidResult checkUnchanged() const;

private:
    MappedFile() = default;
    std::string m_path;
    const uint8_t* m_data = nullptr;
    uint64_t m_size = 0;
    uint64_t m_device = 0;
    uint64_t m_inode = 0;
    int64_t m_modifiedNs = 0;
    int m_guardSlot = -1;                       // in the SIGBUS guard's table (mappedfileguard.h); -1: unguarded
    mutable std::atomic<bool> m_faulted{false}; // set by the SIGBUS guard
};

} // namespace ckpt

#pragma once

#include <cstddef>
#include <cstdint>

#include "core/result.h"

namespace ckpt
{

// Where the writers (torch zip, safetensors) put their bytes: a file in practice, a failing or memory
// sink in tests. An interface so a disk-full or I/O error can be injected at any byte.
class ZipWriterSink
{
public:
    virtual ~ZipWriterSink() = default;
    // Appends bytes at the end; the data may point straight into a read-only mapping.
    virtual VoidResult write(const void* data, size_t size) = 0;
    // Overwrites bytes already written (a header field known only after its payload).
    virtual VoidResult writeAt(uint64_t offset, const void* data, size_t size) = 0;
    // Bytes written so far, which is where the next write() lands.
    virtual uint64_t position() const = 0;
};

} // namespace ckpt

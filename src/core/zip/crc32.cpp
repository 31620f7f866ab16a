#include "core/zip/crc32.h"

#include <libdeflate.h>

namespace ckpt
{

uint32_t zipCrc32(const void* data, size_t size, uint32_t previous)
{
    return libdeflate_crc32(previous, data, size);
}

} // namespace ckpt

#pragma once

#include <cstddef>
#include <cstdint>

namespace ckpt
{

// The zip CRC-32 of `size` bytes, continuing from `previous` (0 to start). libdeflate's carry-less-multiply
// implementation runs at memory speed (over 10 GB/s), where zlib's table one manages about 1 GB/s: on a
// multi-GB export the CRC pass would otherwise cost more than writing the file.
uint32_t zipCrc32(const void* data, size_t size, uint32_t previous = 0);

} // namespace ckpt

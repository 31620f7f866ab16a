#pragma once

#include <cstdint>

// The record signatures of the zip format (APPNOTE.TXT 4.3), shared by the reader and the writer.
namespace ckpt::zipsig
{

constexpr uint32_t kLocalHeader = 0x04034b50;
constexpr uint32_t kCentralHeader = 0x02014b50;
constexpr uint32_t kEndRecord = 0x06054b50;
constexpr uint32_t kZip64EndRecord = 0x06064b50;
constexpr uint32_t kZip64Locator = 0x07064b50;
constexpr uint16_t kZip64ExtraId = 0x0001;

} // namespace ckpt::zipsig

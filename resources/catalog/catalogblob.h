#pragma once

#include <cstddef>

// The committed torchvision-catalog.json.zz, embedded at build time (embed.cmake). Only
// core/analysis/architecturecatalog.cpp reads it.
namespace ckpt::catalogblob
{

extern const unsigned char kData[];
extern const std::size_t kSize;

} // namespace ckpt::catalogblob

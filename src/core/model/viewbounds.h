#pragma once

#include "core/model/checkpoint.h"

namespace ckpt
{

// Whether every element of `view` (offset, shape and stride in elements of the view's own dtype) lies within
// storage.nbytes, counted in bytes: a storage first viewed as uint8 and then as float64 must not let the second
// view reach eight times past its record. Negative sizes, strides or offsets and 64-bit overflow do not fit.
bool viewFitsStorage(const TensorInfo& view, const StorageInfo& storage);

} // namespace ckpt

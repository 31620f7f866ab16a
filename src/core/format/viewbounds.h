#pragma once

#include <string>

#include "core/model/checkpoint.h"

namespace ckpt
{

// For readers that build TensorInfo outside the pickle rebuilder (TorchScript v1 tensor table, tar tensor
// records): sets info.nbytes and returns why the view cannot be used (negative or overflowing sizes,
// strides or offset; past the end of `storage`; storage bytes unavailable), or "" when it fits.
std::string viewProblem(TensorInfo& info, const StorageInfo& storage);

} // namespace ckpt

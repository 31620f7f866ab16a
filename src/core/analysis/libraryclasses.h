#pragma once

#include <string_view>

namespace ckpt
{

// Whether `module.name` is one of the library classes the generated allowlist names exactly (torch.nn,
// torch.ao.nn, torchvision models and ops, plain-data standard-library classes such as signal.Signals).
// Functions are never listed, whatever module they live in.
bool isLibraryClass(std::string_view module, std::string_view name);

} // namespace ckpt

#pragma once

#include <string>
#include <vector>

#include "core/analysis/architecturespec.h"
#include "core/result.h"

namespace ckpt
{

// The built-in torchvision architecture catalog, embedded in the binary (resources/catalog). The data is
// decompressed and parsed once, on first use, from any thread.

// Every built-in architecture name, sorted ("alexnet" ... "wide_resnet50_2").
std::vector<std::string> catalogNames();
// The spec of one built-in architecture (source "builtin"); an unknown name's error suggests close names.
Result<ArchitectureSpec> catalogSpec(const std::string& name);
// Where the catalog comes from: "torchvision 0.14.1".
std::string catalogVersion();
// The constructor arguments used besides weights=None, as "aux_logits=True, init_weights=True" ("" if none).
std::string catalogModelArguments(const std::string& name);

} // namespace ckpt

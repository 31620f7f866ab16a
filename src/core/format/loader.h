#pragma once

#include <memory>
#include <string>

#include "core/model/checkpoint.h"
#include "core/progress.h"
#include "core/result.h"

namespace ckpt
{

using CheckpointPtr = std::shared_ptr<const Checkpoint>;

// Opens any supported file: sniffs the format by magic bytes (not by extension), parses the pickle
// and directory only, and returns the immutable document. Never executes anything from the file.
Result<CheckpointPtr> loadCheckpoint(const std::string& path, const Progress& progress = {});

// The format a file would be read as, from its first bytes; Error for empty/unknown files.
Result<Format> sniffFormat(const std::string& path);

} // namespace ckpt

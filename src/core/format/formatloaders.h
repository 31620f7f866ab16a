#pragma once

#include <memory>

#include "core/io/mappedfile.h"
#include "core/model/checkpoint.h"
#include "core/progress.h"
#include "core/result.h"

// One loader per format; loader.cpp sniffs the magic bytes and picks one. Each fills a fresh Checkpoint
// whose files[0] is the mapped input.
namespace ckpt
{

using MappedFilePtr = std::shared_ptr<const MappedFile>;

Result<std::unique_ptr<Checkpoint>> loadTorchZip(MappedFilePtr file, const Progress& progress);
Result<std::unique_ptr<Checkpoint>> loadTorchLegacy(MappedFilePtr file, const Progress& progress);
// The pre-1.0 tar format (torchtar.cpp); looksLikeTorchTar checks the ustar magic.
Result<std::unique_ptr<Checkpoint>> loadTorchTar(MappedFilePtr file, const Progress& progress);
bool looksLikeTorchTar(const uint8_t* data, uint64_t size);
Result<std::unique_ptr<Checkpoint>> loadRawPickle(MappedFilePtr file, const Progress& progress);
Result<std::unique_ptr<Checkpoint>> loadSafetensors(MappedFilePtr file, const Progress& progress);
Result<std::unique_ptr<Checkpoint>> loadSharded(MappedFilePtr index, const Progress& progress);

} // namespace ckpt

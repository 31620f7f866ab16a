#pragma once

#include <memory>

#include "core/format/formatloaders.h"

namespace ckpt::distributed
{

// Reads a complete torch.save archive that sits at [offset, offset+length) inside a larger mapped file (a
// DCP item in a .distcp, or a whole DeepSpeed .pt when the range is the file). The zip is found from its
// central directory at the end of the range, since DCP's local headers carry zero sizes; nothing is copied.
// The sub-document's storages point into `file` at absolute offsets; its files[0] is `file`.
Result<std::unique_ptr<Checkpoint>> openTorchArchive(MappedFilePtr file, uint64_t offset, uint64_t length);

} // namespace ckpt::distributed

#pragma once

#include <memory>
#include <string>

#include "core/format/formatloaders.h"
#include "core/zip/ziparchive.h"

namespace ckpt
{

// TorchScript archives of PyTorch 1.0-1.1 (torch/csrc/jit/export.cpp of those releases): no data.pkl; a
// `model.json` (the ModelDef protobuf as JSON) lists the tensors (dims, strides, offset, dataType,
// data.key = "tensors/N") and the module tree (parameters by tensorId, attributes by index into
// attributes.pkl, submodules). Tensor bytes stay in the stored `tensors/N` records.
Result<std::unique_ptr<Checkpoint>> loadTorchScriptV1(MappedFilePtr file, const ZipArchive& zip,
                                                      const std::string& prefix);

} // namespace ckpt

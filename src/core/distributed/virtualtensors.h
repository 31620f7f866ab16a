#pragma once

#include <memory>

#include "core/distributed/layout.h"
#include "core/model/checkpoint.h"

namespace ckpt::distributed
{

// Adds a global tensor to the document (path, dtype, global shape, row-major strides) and its chunks to the
// layout; returns its index in Checkpoint::tensors. A tensor held whole by one readable chunk also gets that
// chunk as its storage, so statistics and value diffs read it in place.
int addVirtualTensor(Checkpoint& doc, Layout& layout, VirtualTensor tensor, Path path);

// Computes every tensor's coverage, turns problems into findings and TensorInfo::problem, and attaches the
// layout to the document.
void finishLayout(Checkpoint& doc, std::shared_ptr<Layout> layout);

// Row-major element strides of `shape`.
std::vector<int64_t> rowMajorStrides(const std::vector<int64_t>& shape);

} // namespace ckpt::distributed

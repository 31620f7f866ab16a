#pragma once

#include <QPalette>
#include <QString>

#include "core/model/checkpoint.h"

namespace ckpt::app
{

// Bytes on disk of everything the document was read from: the file; an index plus its shards; a distributed
// directory's .metadata and rank files (not only the index, which is a few kB).
uint64_t bytesOnDisk(const Checkpoint& doc);
// Where the tensors are meant to live, most common first: "cpu", or "cuda:0 ×120, cpu ×2".
QString locationSummary(const Checkpoint& doc);
// The security verdict line under the findings, coloured for `palette` (redrawn when the palette changes).
QString verdictHtml(const Checkpoint& doc, const QPalette& palette);

} // namespace ckpt::app

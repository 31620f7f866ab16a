#pragma once

#include <QString>

#include "core/format/loader.h"
#include "models/tensorvaluesmodel.h"

namespace ckpt::app
{

struct PreviewAnswer {
    bool ok = false;
    QString error;
    models::ValuePreview preview;
};

// Reads the first values of one tensor (models::ValuePreview) through the tensor module's bounds-checked raw
// view of the mapped bytes; no LibTorch needed. Runs in a worker: the bytes may be paged in from disk. A file
// that changed on disk while it was read gives an error, never a mix of old and new values.
PreviewAnswer readValuePreview(CheckpointPtr doc, int tensor);

} // namespace ckpt::app

#pragma once

#include <QString>

namespace ckpt::app
{

// The embedded sample (a real DataParallel state dict in the Qt resources) as a file the loader can map, and
// the spec of the architecture it was made from, so the first screen shows a `module.` mismatch ready to fix.
struct SampleFile {
    static QString checkpointPath();   // extracted once per run into a temporary folder; empty on failure
    static QString architectureSpec(); // the matching JSON key list, extracted next to it
};

} // namespace ckpt::app

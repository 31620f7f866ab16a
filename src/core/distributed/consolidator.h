#pragma once

#include <string>
#include <vector>

#include "core/edit/exporter.h"

namespace ckpt::distributed
{

struct ConsolidateReport {
    size_t tensors = 0;        // keys written and verified
    size_t records = 0;        // storages (torch) or tensors (safetensors) written
    uint64_t payloadBytes = 0; // tensor bytes written
    uint64_t fileBytes = 0;
    // Non-tensor items of the directory (DCP bytes items such as a step or a config), by path: the consolidated file
    // holds the tensors only, so these are listed for the caller to say so (torch's dcp_to_torch_save would keep them).
    std::vector<std::string> itemsNotWritten;
};

// Writes one file holding every global tensor of a DCP or DeepSpeed directory (`doc.distributed`), as a
// plain state dict keyed by the consolidated names: a torch zip (ties share a storage) or safetensors
// (ties written twice, as the format has no sharing). Streaming: the layout is computed first, then each
// tensor's chunk rows are copied from the mapped rank files into the output record, one block at a time.
// Atomic and verified like Exporter::run: written beside the target, re-opened, every key, dtype, shape
// and XXH3 of the bytes compared, then renamed into place. Refused when a tensor is not fully covered.
Result<ConsolidateReport> consolidate(const Checkpoint& doc, const std::string& output, ExportFormat format, bool force,
                                      const Progress& progress = {});

} // namespace ckpt::distributed

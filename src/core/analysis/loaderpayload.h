#pragma once

#include <atomic>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/model/checkpoint.h"
#include "core/pickle/value.h"

namespace ckpt
{

// Globals that unpickle or load what they are given: torch.storage._load_from_bytes (torch.load of the bytes
// beside it, which torch itself writes when a storage is pickled with plain pickle), torch.load,
// pickle.loads, marshal.loads, numpy.load, ... A payload in their bytes runs when the outer file is loaded.
bool isPayloadLoader(std::string_view module, std::string_view name);
// Every loader but torch.storage._load_from_bytes is dangerous whatever it is given (a path, a file object,
// code objects). That one is exactly as safe as its payload, which the scanner reads.
bool loaderIsDangerousItself(std::string_view module, std::string_view name);

// Finds every call of a loader reachable from `roots` (and the BUILD states an object replaced), scans the
// bytes each one is given as torch.load would read them (a pickle, a legacy torch stream or a torch zip, and
// loader calls inside those, to kMaxLoaderPayloadDepth, within kMaxLoaderPayloadBytes), records the globals
// found there in doc.globals with their `via`, and adds to doc.dangerousCalls every call of a loader whose
// payload imports a dangerous global or cannot be scanned. Does nothing (and costs nothing) when no root
// pickle imported a loader. Values must live as long as `doc` (its arena). Every walk runs under a GraphVisitor
// that polls `cancel`; a cancelled scan is incomplete, so the caller must then fail the load as cancelled.
void scanLoaderPayloads(Checkpoint& doc, const std::vector<const Value*>& roots,
                        const std::vector<std::pair<const Value*, const Value*>>& replacedStates,
                        const std::atomic<bool>* cancel = nullptr);

} // namespace ckpt

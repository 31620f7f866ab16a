#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/model/dtype.h"

namespace ckpt::models
{

// How one row relates to the chosen architecture. Ordered by how bad it is, so a group can show its worst.
enum class MatchState : uint8_t { None, Ok, Renamed, DtypeMismatch, ShapeMismatch, Unexpected, Missing };

struct RowMatch {
    MatchState state = MatchState::None;
    std::string archKey;
    std::vector<int64_t> archShape;
    DType archDtype = DType::Unknown;
};

// An architecture key the checkpoint lacks; shown as a ghost row where the checkpoint's key would be.
struct GhostEntry {
    std::string checkpointKey; // the archKey mapped back through the rule (where the key would sit)
    std::string archKey;
    std::vector<int64_t> archShape;
    DType archDtype = DType::Unknown;
};

// The match of one document against one architecture, reduced to what the views need. Filled by the app
// from the engine's match report, so the models stay independent of its exact types.
struct MatchOverlay {
    std::string archName; // "builtin:resnet18"
    std::string ruleText; // "remove `module.` (DataParallel/DDP wrapper)"; empty when no rename is needed
    std::string summary;  // "122 keys: 122 fixable by removing `module.`, 0 shape mismatches, 0 missing"
    std::vector<std::string> weightSetPath;     // container path of the matched weight set (ghost rows go there)
    std::unordered_map<int, RowMatch> byTensor; // tensor index -> status
    std::vector<GhostEntry> missing;
    int okCount = 0, renamedCount = 0, shapeCount = 0, dtypeCount = 0, unexpectedCount = 0;
};

// Words for a state, as the status column and the legend show them.
const char* matchStateName(MatchState state);

} // namespace ckpt::models

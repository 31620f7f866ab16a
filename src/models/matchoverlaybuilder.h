#pragma once

#include <memory>

#include "core/analysis/matchreport.h"
#include "models/matchoverlay.h"

namespace ckpt::models
{

// Reduces the engine's match report to what the tree shows: a state per tensor and ghost rows for missing keys,
// placed where the checkpoint's key would sit (the rule applied backwards).
std::shared_ptr<const MatchOverlay> overlayFromReport(const MatchReport& report);

} // namespace ckpt::models

#pragma once

#include <atomic>

#include <QString>

#include "core/format/loader.h"
#include "tensor/tensortypes.h"

namespace ckpt::app
{

struct StatsAnswer {
    bool ok = false;
    QString error;
    tensor::TensorStats stats;
};

// Statistics and a 64-bin histogram of one tensor through the on-demand tensor module (LibTorch is loaded on
// first use, not at start-up). Runs in a worker; polls `cancel` between chunks.
StatsAnswer computeTensorStats(CheckpointPtr doc, int tensor, const std::atomic<bool>* cancel);
// Whether statistics can be computed in this build and on this machine; `why` says why not.
bool tensorStatsAvailable(QString* why);

} // namespace ckpt::app

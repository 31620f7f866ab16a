#pragma once

#include <cstdint>
#include <functional>

class QProgressBar;

namespace ckpt::app
{

// A Progress::report callback for a background job: it moves `bar` on the GUI thread at most every 50 ms (and
// always at the end), so a job reporting thousands of steps does not flood the event loop, and it does nothing
// once the bar (or its window) is gone.
std::function<void(uint64_t done, uint64_t total)> progressBarFeed(QProgressBar* bar);

} // namespace ckpt::app

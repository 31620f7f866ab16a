#pragma once

#include <atomic>
#include <cstdint>
#include <functional>

namespace ckpt
{

// Progress without Qt: the worker reports bytes done over bytes to do, and polls a cancel flag.
struct Progress {
    std::function<void(uint64_t done, uint64_t total)> report; // may be empty
    const std::atomic<bool>* cancel = nullptr;                 // may be null

    bool cancelled() const { return cancel && cancel->load(std::memory_order_relaxed); }
    void tick(uint64_t done, uint64_t total) const
    {
        if (report) report(done, total);
    }
};

} // namespace ckpt

#include "core/io/mappedfileguard.h"

#include <csignal>
#include <mutex>

#include <sys/mman.h>
#include <unistd.h>

namespace ckpt::mapguard
{

namespace
{

// Lock-free for the handler: a slot is published by storing `end` last (release) and read by loading it first
// (acquire); a slot with end == 0 is free.
struct Slot {
    std::atomic<uintptr_t> start{0};
    std::atomic<uintptr_t> end{0};
    std::atomic<std::atomic<bool>*> faulted{nullptr};
};

Slot g_slots[kSlots];
std::mutex g_claim; // registration only; the handler never takes it
struct sigaction g_previous {
};

void onBus(int signal, siginfo_t* info, void* context)
{
    auto address = reinterpret_cast<uintptr_t>(info->si_addr);
    for (Slot& slot : g_slots) {
        uintptr_t end = slot.end.load(std::memory_order_acquire);
        if (end == 0 || address < slot.start.load(std::memory_order_relaxed) || address >= end) continue;
        static const uintptr_t page = static_cast<uintptr_t>(::sysconf(_SC_PAGESIZE));
        void* at = reinterpret_cast<void*>(address & ~(page - 1));
        // mmap is a plain system call here; the new page is private zeros, so the read resumes and sees 0.
        if (::mmap(at, page, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) != MAP_FAILED) {
            if (std::atomic<bool>* flag = slot.faulted.load(std::memory_order_relaxed))
                flag->store(true, std::memory_order_relaxed);
            return;
        }
        break;
    }
    // Not ours (or the page could not be replaced): behave as if no guard were installed.
    if (g_previous.sa_flags & SA_SIGINFO) {
        if (g_previous.sa_sigaction) return g_previous.sa_sigaction(signal, info, context);
    } else if (g_previous.sa_handler != SIG_DFL && g_previous.sa_handler != SIG_IGN && g_previous.sa_handler) {
        return g_previous.sa_handler(signal);
    }
    ::signal(SIGBUS, SIG_DFL);
    ::raise(SIGBUS);
}

void install()
{
    struct sigaction action {
    };
    action.sa_sigaction = onBus;
    action.sa_flags = SA_SIGINFO | SA_NODEFER;
    sigemptyset(&action.sa_mask);
    ::sigaction(SIGBUS, &action, &g_previous);
}

} // namespace

int add(const void* start, uint64_t size, std::atomic<bool>* faulted)
{
    static std::once_flag installed;
    std::call_once(installed, install);
    std::lock_guard<std::mutex> lock(g_claim);
    for (int i = 0; i < kSlots; ++i) {
        Slot& slot = g_slots[i];
        if (slot.end.load(std::memory_order_relaxed) != 0) continue;
        slot.start.store(reinterpret_cast<uintptr_t>(start), std::memory_order_relaxed);
        slot.faulted.store(faulted, std::memory_order_relaxed);
        slot.end.store(reinterpret_cast<uintptr_t>(start) + size, std::memory_order_release);
        return i;
    }
    return -1;
}

void remove(int slot)
{
    if (slot < 0 || slot >= kSlots) return;
    std::lock_guard<std::mutex> lock(g_claim);
    g_slots[slot].end.store(0, std::memory_order_release);
    g_slots[slot].faulted.store(nullptr, std::memory_order_relaxed);
}

} // namespace ckpt::mapguard

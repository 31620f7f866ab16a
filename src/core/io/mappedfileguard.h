#pragma once

#include <atomic>
#include <cstdint>

// Turns SIGBUS in a guarded mapping into zeros plus a flag. A mapped file that shrinks (torch.save and Lightning
// rewrite checkpoints in place) raises SIGBUS on the next read of a page past its new end; the guard's handler
// maps a private zero page over the faulting page, sets the mapping's flag and lets the read resume, so the
// reader finishes, then MappedFile::checkUnchanged() reports the change. A SIGBUS outside every guarded
// mapping is re-raised with the default action (a real bug still crashes).
namespace ckpt::mapguard
{

// Registers [start, start + size) with the flag to set; the slot to release, or -1 when the table is full
// (kSlots mappings at once: that mapping is then unguarded, as before).
int add(const void* start, uint64_t size, std::atomic<bool>* faulted);
void remove(int slot);

constexpr int kSlots = 4096;

} // namespace ckpt::mapguard

// libFuzzer target: the pickle virtual machine over raw bytes, then the security classification of what it saw.
#include <cstdint>

#include "core/analysis/securityscan.h"
#include "core/pickle/unpickler.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    ckpt::ValueArena arena;
    auto result = ckpt::unpickle(data, size, arena);
    if (!result) return 0;
    const ckpt::UnpickleResult& r = result.value();
    if (r.end > size) __builtin_trap();
    volatile size_t sink = ckpt::renderValue(r.root).size();
    for (const ckpt::GlobalSeen& g : r.globals)
        sink = sink + static_cast<size_t>(ckpt::classifyGlobal(g.module, g.name));
    for (const ckpt::Value* pid : r.persistentIds)
        sink = sink + ckpt::renderValue(pid).size();
    (void)sink;
    return 0;
}

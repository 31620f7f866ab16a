// libFuzzer target: the whole open path as users hit it: format sniffing, then the torch zip (zip + pickle +
// tensor rebuild), legacy, raw pickle or safetensors loader, then every accessor a view uses.
#include <cstdint>

#include "core/format/loader.h"
#include "fuzzinput.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    static ckpt::fuzz::MemoryFile file;
    auto doc = ckpt::loadCheckpoint(file.write(data, size));
    if (doc) {
        volatile uint64_t sink = ckpt::fuzz::exercise(*doc.value());
        (void)sink;
    }
    return 0;
}

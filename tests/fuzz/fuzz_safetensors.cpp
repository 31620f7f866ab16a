// libFuzzer target: the safetensors loader (header length, JSON header, offsets against the file).
#include <cstdint>

#include "core/format/formatloaders.h"
#include "fuzzinput.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    static ckpt::fuzz::MemoryFile file;
    auto mapped = ckpt::MappedFile::open(file.write(data, size));
    if (!mapped) return 0;
    auto doc = ckpt::loadSafetensors(mapped.value(), {});
    if (doc) {
        volatile uint64_t sink = ckpt::fuzz::exercise(*doc.value());
        (void)sink;
    }
    return 0;
}

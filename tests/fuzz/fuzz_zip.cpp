// libFuzzer target: the zip central directory reader and every entry's payload (stored view or inflation).
#include <cstdint>
#include <string>

#include "core/zip/ziparchive.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    auto archive = ckpt::ZipArchive::open(data, size);
    if (!archive) return 0;
    volatile uint64_t sink = 0;
    for (const ckpt::ZipEntry& entry : archive.value().entries()) {
        if (archive.value().find(entry.name) == nullptr) __builtin_trap();
        std::string storage;
        auto bytes = archive.value().read(entry, storage);
        if (!bytes) continue;
        std::string_view view = bytes.value();
        // A stored entry is a view into the input: it must lie inside it.
        if (view.empty()) continue;
        sink = sink + static_cast<uint8_t>(view.front()) + static_cast<uint8_t>(view.back());
    }
    (void)sink;
    return 0;
}

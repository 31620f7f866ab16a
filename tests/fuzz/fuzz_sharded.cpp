// libFuzzer target: the sharded *.index.json loader. The index is written next to two real safetensors shards in a
// private temporary folder, so weight_map names can resolve.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "core/format/formatloaders.h"
#include "fuzzinput.h"

namespace
{

void writeFile(const std::string& path, const std::string& bytes)
{
    FILE* f = std::fopen(path.c_str(), "wb");
    if (!f || std::fwrite(bytes.data(), 1, bytes.size(), f) != bytes.size()) __builtin_trap();
    std::fclose(f);
}

// A safetensors shard holding "a" (2 float32 values), built by hand.
std::string safetensorsShard()
{
    std::string header = R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})";
    while ((header.size() + 8) % 8)
        header += ' ';
    std::string out(8, '\0');
    for (int i = 0; i < 8; ++i)
        out[i] = static_cast<char>((header.size() >> (8 * i)) & 0xff);
    return out + header + std::string(8, '\0');
}

std::string g_folder;

} // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***)
{
    char pattern[] = "/tmp/ckpt-fuzz-sharded-XXXXXX";
    if (!mkdtemp(pattern)) __builtin_trap();
    g_folder = pattern;
    writeFile(g_folder + "/model-00001-of-00002.safetensors", safetensorsShard());
    writeFile(g_folder + "/model-00002-of-00002.safetensors", safetensorsShard());
    std::atexit([] {
        std::error_code ignored;
        std::filesystem::remove_all(g_folder, ignored);
    });
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    const std::string index = g_folder + "/model.safetensors.index.json";
    writeFile(index, std::string(reinterpret_cast<const char*>(data), size));
    auto mapped = ckpt::MappedFile::open(index);
    if (!mapped) return 0;
    auto doc = ckpt::loadSharded(mapped.value(), {});
    if (doc) {
        volatile uint64_t sink = ckpt::fuzz::exercise(*doc.value());
        (void)sink;
    }
    return 0;
}

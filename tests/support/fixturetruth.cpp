#include "support/fixturetruth.h"

#include <algorithm>
#include <fstream>

namespace ckpt::test
{

bool FixtureEntry::hasTag(const std::string& tag) const
{
    return std::find(tags.begin(), tags.end(), tag) != tags.end();
}

std::string fixtureDir()
{
    return CKPT_FIXTURE_DIR;
}

std::string fixturePath(const std::string& file)
{
    return fixtureDir() + "/" + file;
}

static nlohmann::json readJson(const std::string& path)
{
    std::ifstream in(path);
    if (!in) return nullptr;
    return nlohmann::json::parse(in, nullptr, false);
}

std::vector<FixtureEntry> fixtures()
{
    std::vector<FixtureEntry> out;
    nlohmann::json manifest = readJson(fixturePath("manifest.json"));
    if (!manifest.is_object()) return out;
    for (const auto& f : manifest["fixtures"]) {
        FixtureEntry entry;
        entry.name = f.value("name", "");
        entry.file = fixturePath(f.value("file", ""));
        entry.format = f.value("format", "");
        entry.kind = f.value("kind", "");
        if (f.contains("tags"))
            for (const auto& t : f["tags"])
                entry.tags.push_back(t.get<std::string>());
        out.push_back(entry);
    }
    return out;
}

nlohmann::json truthFor(const FixtureEntry& entry)
{
    return readJson(fixturePath(entry.name + ".truth.json"));
}

std::string toHex(const uint8_t* data, size_t size)
{
    static const char* digits = "0123456789abcdef";
    std::string out;
    out.reserve(size * 2);
    for (size_t i = 0; i < size; ++i) {
        out += digits[data[i] >> 4];
        out += digits[data[i] & 15];
    }
    return out;
}

} // namespace ckpt::test

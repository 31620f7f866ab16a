#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

// Access to the fixtures and truth files that tests/fixtures/generate.py writes with real PyTorch.
namespace ckpt::test
{

struct FixtureEntry {
    std::string name;
    std::string file; // absolute path
    std::string format;
    std::string kind;
    std::vector<std::string> tags;
    bool hasTag(const std::string& tag) const;
};

std::string fixtureDir();
std::string fixturePath(const std::string& file);
// Every fixture in manifest.json (empty when the manifest is missing).
std::vector<FixtureEntry> fixtures();
nlohmann::json truthFor(const FixtureEntry& entry);
std::string toHex(const uint8_t* data, size_t size);

} // namespace ckpt::test

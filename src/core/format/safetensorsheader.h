#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ckpt
{

// One member of a safetensors header as written, before any check: what it holds and in what JSON types, so the
// loader can name exactly what is wrong with it.
struct SafetensorsHeaderEntry {
    std::string name;
    bool isObject = false;
    bool hasDtype = false, dtypeIsString = false;
    std::string dtype;
    bool hasShape = false, shapeIsArray = false, shapeAllUnsigned = true;
    size_t shapeLength = 0;      // elements of the shape array (all of them, whatever their type)
    std::vector<uint64_t> shape; // its unsigned elements, the first kMaxTensorRank + 1 of them
    bool hasOffsets = false, offsetsIsArray = false, offsetsAllUnsigned = true;
    std::vector<uint64_t> offsets; // the first three unsigned elements of data_offsets
    size_t offsetsLength = 0;
};

struct SafetensorsHeader {
    // Tensors in file order; a name written twice keeps its first place and its last value, as a JSON object does.
    std::vector<SafetensorsHeaderEntry> tensors;
    std::map<std::string, std::string> metadata; // __metadata__ members whose values are strings
    bool metadataHasNonStrings = false;          // the format says Dict[str, str]; others need the JSON text
};

// Reads a safetensors JSON header in one SAX pass that keeps only what the format defines: no JSON tree is built
// (a tree of 150,000 small objects cost most of the open time and 200 MB), and nothing is quadratic. nullopt when
// the text is not JSON or not an object.
std::optional<SafetensorsHeader> readSafetensorsHeader(std::string_view text);

} // namespace ckpt

#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/io/textpool.h"

namespace ckpt
{

// One member of a safetensors header as written, before any check: what it holds and in what JSON types, so the
// loader can name exactly what is wrong with it. Its texts live in the header's pool, its dimensions in its dims.
struct SafetensorsHeaderEntry {
    std::string_view name;
    bool isObject = false;
    bool hasDtype = false, dtypeIsString = false;
    std::string_view dtype;
    bool hasShape = false, shapeIsArray = false, shapeAllUnsigned = true;
    size_t shapeLength = 0; // elements of the shape array (all of them, whatever their type)
    size_t shapeBegin = 0;  // its unsigned elements, the first kMaxTensorRank + 1 of them: SafetensorsHeader::dims
    size_t shapeStored = 0; // from shapeBegin on
    bool hasOffsets = false, offsetsIsArray = false, offsetsAllUnsigned = true;
    uint64_t offsets[3] = {}; // the first three unsigned elements of data_offsets
    size_t offsetsStored = 0; // of them
    size_t offsetsLength = 0; // elements of the data_offsets array (all of them)
};

struct SafetensorsHeader {
    // Tensors in file order; a name written twice keeps its first place and its last value, as a JSON object does.
    std::vector<SafetensorsHeaderEntry> tensors;
    std::vector<uint64_t> dims;                  // the entries' shapes, one after the other
    std::map<std::string, std::string> metadata; // __metadata__ members whose values are strings
    bool metadataHasNonStrings = false;          // the format says Dict[str, str]; others need the JSON text
    TextPool texts;                              // the entries' names and dtypes

    const uint64_t* shapeBegin(const SafetensorsHeaderEntry& entry) const { return dims.data() + entry.shapeBegin; }
    const uint64_t* shapeEnd(const SafetensorsHeaderEntry& entry) const
    {
        return shapeBegin(entry) + entry.shapeStored;
    }
};

// Reads a safetensors JSON header in one SAX pass that keeps only what the format defines: no JSON tree is built
// (a tree of 150,000 small objects cost most of the open time and 200 MB), and nothing is quadratic. The plain
// JSON that writers produce is read by sax_parse_plain (core/io/plainjsonsax.h), anything else by nlohmann.
// nullopt when the text is not JSON or not an object.
std::optional<SafetensorsHeader> readSafetensorsHeader(std::string_view text);

} // namespace ckpt

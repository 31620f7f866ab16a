#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/io/textpool.h"
#include "core/result.h"

namespace ckpt
{

// One weight_map member: a tensor name and the shard file that holds it.
struct ShardIndexEntry {
    std::string_view key; // in ShardIndex::texts
    int shard = -1;       // index into ShardIndex::shards; -1 when the value is not a string (the loader refuses it)
};

// What a Hugging Face *.index.json says: {"metadata": {...}, "weight_map": {name: shard file}}.
struct ShardIndex {
    std::map<std::string, std::string> metadata; // strings as they are, other values as compact JSON
    std::vector<std::string> shards;             // each shard file name once
    std::vector<ShardIndexEntry> entries;        // weight_map in file order
    TextPool texts;                              // the entries' keys
};

// Reads an untrusted index in one SAX pass that keeps only what the loader needs (no DOM of 100,000 members); the
// plain JSON that writers produce is read by sax_parse_plain (core/io/plainjsonsax.h), anything else by nlohmann.
// As a JSON parser would read it: a member repeated in an object keeps its first place and its last value; a
// repeated "weight_map" or "metadata" replaces the earlier one. Nesting deeper than kMaxSpecJsonDepth is an error
// (LimitExceeded), as are text that is not JSON and a document without a "weight_map" object (Corrupt).
Result<ShardIndex> readShardIndex(std::string_view text);

} // namespace ckpt

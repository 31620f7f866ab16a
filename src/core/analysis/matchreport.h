#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "core/analysis/architecturespec.h"
#include "core/analysis/renamerule.h"
#include "core/model/checkpoint.h"
#include "core/result.h"

namespace ckpt
{

enum class MatchStatus { Ok, Renamed, ShapeMismatch, DTypeMismatch, Unexpected, Missing };

// "ok", "renamed", "shape_mismatch", "dtype_mismatch", "unexpected", "missing".
const char* matchStatusName(MatchStatus status);

// One checkpoint key to check: its name, shape and dtype (tensor indexes Checkpoint::tensors, or -1).
struct KeyInfo {
    std::string key;
    std::vector<int64_t> shape;
    DType dtype = DType::Unknown; // Unknown: not compared
    int tensor = -1;
};

struct MatchEntry {
    MatchStatus status = MatchStatus::Ok;
    std::string key;     // empty for missing
    std::string archKey; // empty for unexpected
    std::vector<int64_t> shape;
    std::vector<int64_t> archShape;
    DType dtype = DType::Unknown;
    DType archDtype = DType::Unknown;
    int tensor = -1;
};

struct MatchSummary {
    size_t checkpointKeys = 0;
    size_t archKeys = 0;
    size_t ok = 0;
    size_t renamed = 0;
    size_t shapeMismatch = 0;
    size_t dtypeMismatch = 0;
    size_t unexpected = 0;
    size_t missing = 0;
};

// The verdict for every key of a weight set against an architecture, and the rule that aligns them.
struct MatchReport {
    RenameRule rule;
    std::string archName;
    std::string archSource;
    Path weightSet;                  // where the checked state dict sits in the file
    std::vector<MatchEntry> entries; // checkpoint order, then missing keys in architecture order
    MatchSummary summary;

    // True when every key is ok or renamed and nothing is missing.
    bool clean() const;
    // "122 keys: 122 fixable by removing `module.` (DataParallel/DDP wrapper), 0 shape mismatches, 0 missing".
    std::string summaryText() const;
    // {"rule", "architecture", "entries": [{"key","arch_key","status","shape","arch_shape",...}], "summary"}.
    nlohmann::json toJson() const;
};

// Left-aligned text columns for the CLI's tables: widths from the cells, capped at `maxWidth`.
std::string formatTable(const std::vector<std::vector<std::string>>& rows, size_t maxWidth = 72);

// Checks keys against an architecture with the rule alignKeys infers.
MatchReport matchKeys(const std::vector<KeyInfo>& keys, const ArchitectureSpec& arch);
// Checks keys with a given rule (the user's, or one inferred earlier).
MatchReport matchKeys(const std::vector<KeyInfo>& keys, const ArchitectureSpec& arch, const RenameRule& rule);
// The keys of a weight set with their tensors' shapes and dtypes.
std::vector<KeyInfo> weightSetKeys(const Checkpoint& checkpoint, const WeightSet& set);
// Checks the checkpoint's main weight set; an error when the file holds no state dict.
Result<MatchReport> matchCheckpoint(const Checkpoint& checkpoint, const ArchitectureSpec& arch);

} // namespace ckpt

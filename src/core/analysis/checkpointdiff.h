#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "core/analysis/renamerule.h"
#include "core/analysis/valuecompare.h"
#include "core/model/checkpoint.h"
#include "core/progress.h"
#include "core/result.h"

namespace ckpt
{

enum class DiffStatus { Equal, ValuesDiffer, ShapeDiffers, DTypeDiffers, LocationDiffers, OnlyLeft, OnlyRight };

// "equal", "values_differ", "shape_differs", "dtype_differs", "location_differs", "only_left", "only_right".
const char* diffStatusName(DiffStatus status);

// One aligned pair of tensors (or a tensor on one side only).
struct DiffEntry {
    DiffStatus status = DiffStatus::Equal;
    std::string left; // weight-set key, or the path ("optimizer/state/0/exp_avg") outside the weight set
    std::string right;
    int leftTensor = -1;
    int rightTensor = -1;
    std::vector<int64_t> leftShape, rightShape;
    DType leftDtype = DType::Unknown, rightDtype = DType::Unknown;
    std::string leftLocation, rightLocation;
    bool inWeightSet = true;
    bool locationDiffers = false; // also set when another difference decides the status
    bool valuesCompared = false;
    ValueComparison values; // when valuesCompared
    std::string note;       // why values were not compared, when they were asked for
};

// A non-tensor value (epoch, lr, optimizer hyper-parameters) compared by its rendering.
struct ValueDiffEntry {
    std::string path;
    std::string left; // rendered; empty when absent
    std::string right;
    DiffStatus status = DiffStatus::Equal; // Equal, ValuesDiffer, OnlyLeft or OnlyRight
};

struct DiffOptions {
    bool values = false; // stream tensor bytes; otherwise only names, shapes, dtypes and locations
    Progress progress;   // bytes compared over bytes to compare (values only)
};

struct CheckpointDiff {
    RenameRule rule;    // carries left weight-set keys onto right ones
    size_t aligned = 0; // weight-set keys the rule pairs
    bool valuesCompared = false;
    std::vector<DiffEntry> entries; // left order, then right-only tensors in right order
    std::vector<ValueDiffEntry> plainValues;

    // No tensor or value differs after normalisation (without --values: metadata only).
    bool equal() const;
    size_t count(DiffStatus status) const;
    // "122 of 122 tensors equal after removing `module.` ..." style one-liner.
    std::string summaryText() const;
    // {"rule", "entries": [{"left","right","status","max_abs_diff",...}], "values": [...], "summary"}.
    nlohmann::json toJson() const;
};

// Aligns both checkpoints' main weight sets (wrapper prefixes normalised, the rule is reported), pairs the
// remaining tensors by path, compares non-tensor values by rendering. Metadata only unless options.values.
Result<CheckpointDiff> diffCheckpoints(const Checkpoint& left, const Checkpoint& right,
                                       const DiffOptions& options = {});

} // namespace ckpt

#include "core/analysis/checkpointdiff.h"

#include <cstdio>
#include <string_view>
#include <unordered_map>

#include <nlohmann/json.hpp>

#include "core/analysis/flatstringindex.h"
#include "core/analysis/keyaligner.h"

namespace ckpt
{

namespace
{

// Long enough that two different hyper-parameter blocks never render the same.
constexpr size_t kRenderChars = 1 << 16;

std::string hashHex(const uint64_t hash[2])
{
    char text[40];
    std::snprintf(text, sizeof text, "%016llx%016llx", static_cast<unsigned long long>(hash[0]),
                  static_cast<unsigned long long>(hash[1]));
    return text;
}

bool hasPrefix(const Path& path, const Path& prefix)
{
    if (path.size() < prefix.size()) return false;
    for (size_t i = 0; i < prefix.size(); ++i)
        if (!(path[i] == prefix[i])) return false;
    return true;
}

const TensorInfo* tensorAt(const Checkpoint& c, int index)
{
    return index >= 0 && static_cast<size_t>(index) < c.tensors.size() ? &c.tensors[static_cast<size_t>(index)]
                                                                       : nullptr;
}

// Decides a pair's status from what both files declare; values are looked at later, on request.
void classify(DiffEntry& e, const TensorInfo* l, const TensorInfo* r)
{
    if (l) {
        e.leftShape = l->shape;
        e.leftDtype = l->dtype;
        e.leftLocation = l->location;
    }
    if (r) {
        e.rightShape = r->shape;
        e.rightDtype = r->dtype;
        e.rightLocation = r->location;
    }
    if (!l || !r) {
        e.status = l ? DiffStatus::OnlyLeft : DiffStatus::OnlyRight;
        return;
    }
    e.locationDiffers = l->location != r->location;
    if (l->shape != r->shape)
        e.status = DiffStatus::ShapeDiffers;
    else if (l->dtype != r->dtype)
        e.status = DiffStatus::DTypeDiffers;
    else if (e.locationDiffers)
        e.status = DiffStatus::LocationDiffers;
    else
        e.status = DiffStatus::Equal;
}

struct Side {
    const Checkpoint* checkpoint = nullptr;
    const WeightSet* set = nullptr;
    std::vector<std::string_view> keys; // into the weight set, which the checkpoint keeps
    std::vector<bool> inSet;            // by tensor index: the tensor is one of the weight set's
};

Side describeSide(const Checkpoint& c)
{
    Side s;
    s.checkpoint = &c;
    s.set = c.mainWeightSet();
    s.inSet.assign(c.tensors.size(), false);
    if (s.set) {
        s.keys.reserve(s.set->entries.size());
        for (const WeightEntry& w : s.set->entries) {
            s.keys.emplace_back(w.key);
            if (w.tensor >= 0 && static_cast<size_t>(w.tensor) < c.tensors.size())
                s.inSet[static_cast<size_t>(w.tensor)] = true;
        }
    }
    return s;
}

} // namespace

const char* diffStatusName(DiffStatus status)
{
    switch (status) {
    case DiffStatus::Equal:
        return "equal";
    case DiffStatus::ValuesDiffer:
        return "values_differ";
    case DiffStatus::ShapeDiffers:
        return "shape_differs";
    case DiffStatus::DTypeDiffers:
        return "dtype_differs";
    case DiffStatus::LocationDiffers:
        return "location_differs";
    case DiffStatus::OnlyLeft:
        return "only_left";
    case DiffStatus::OnlyRight:
        return "only_right";
    }
    return "unknown";
}

bool CheckpointDiff::equal() const
{
    for (const DiffEntry& e : entries)
        if (e.status != DiffStatus::Equal) return false;
    for (const ValueDiffEntry& v : plainValues)
        if (v.status != DiffStatus::Equal) return false;
    return true;
}

size_t CheckpointDiff::count(DiffStatus status) const
{
    size_t n = 0;
    for (const DiffEntry& e : entries)
        n += e.status == status;
    return n;
}

std::string CheckpointDiff::summaryText() const
{
    size_t pairs = 0;
    for (const DiffEntry& e : entries)
        pairs += e.status != DiffStatus::OnlyLeft && e.status != DiffStatus::OnlyRight;
    std::string text = std::to_string(count(DiffStatus::Equal)) + " of " + std::to_string(pairs) + " tensor pairs " +
                       (valuesCompared ? "equal" : "alike in name, shape, dtype and location");
    if (!rule.empty()) text += " after the rule: " + rule.describe();
    const DiffStatus kinds[] = {DiffStatus::ValuesDiffer,    DiffStatus::ShapeDiffers, DiffStatus::DTypeDiffers,
                                DiffStatus::LocationDiffers, DiffStatus::OnlyLeft,     DiffStatus::OnlyRight};
    for (DiffStatus kind : kinds)
        if (size_t n = count(kind)) text += "; " + std::to_string(n) + " " + diffStatusName(kind);
    size_t valueDiffs = 0;
    for (const ValueDiffEntry& v : plainValues)
        valueDiffs += v.status != DiffStatus::Equal;
    text +=
        "; " + std::to_string(valueDiffs) + " of " + std::to_string(plainValues.size()) + " non-tensor values differ";
    if (!valuesCompared) text += " (tensor values not compared: use --values)";
    return text;
}

nlohmann::json CheckpointDiff::toJson() const
{
    // Objects are filled member by member rather than from brace lists: a brace list makes a two-element
    // array per member and copies nested documents, which made this three times slower for 40,000 pairs.
    using Json = nlohmann::json;
    Json items = Json::array();
    items.get_ref<Json::array_t&>().reserve(entries.size());
    for (const DiffEntry& e : entries) {
        bool hasLeft = e.status != DiffStatus::OnlyRight, hasRight = e.status != DiffStatus::OnlyLeft;
        Json::object_t item;
        auto put = [&item](const char* key, Json value) { item.emplace(key, std::move(value)); };
        put("left", hasLeft ? Json(e.left) : Json(nullptr));
        put("right", hasRight ? Json(e.right) : Json(nullptr));
        put("status", diffStatusName(e.status));
        put("section", e.inWeightSet ? "weights" : "other");
        put("left_shape", hasLeft ? Json(e.leftShape) : Json(nullptr));
        put("right_shape", hasRight ? Json(e.rightShape) : Json(nullptr));
        put("left_dtype", hasLeft ? Json(dtypeName(e.leftDtype)) : Json(nullptr));
        put("right_dtype", hasRight ? Json(dtypeName(e.rightDtype)) : Json(nullptr));
        put("left_location", hasLeft ? Json(e.leftLocation) : Json(nullptr));
        put("right_location", hasRight ? Json(e.rightLocation) : Json(nullptr));
        put("location_differs", e.locationDiffers);
        put("values_compared", e.valuesCompared);
        put("max_abs_diff", nullptr);
        put("max_rel_diff", nullptr);
        if (e.valuesCompared) {
            put("bitwise_equal", e.values.bitwiseEqual);
            if (e.values.numeric) {
                item["max_abs_diff"] = e.values.maxAbsDiff;
                item["max_rel_diff"] = e.values.maxRelDiff;
            }
            put("differing_elements", e.values.differing);
            put("nonfinite_mismatches", e.values.nonFiniteMismatches);
            put("left_hash", hashHex(e.values.leftHash));
            put("right_hash", hashHex(e.values.rightHash));
            if (!e.values.note.empty()) item["note"] = e.values.note;
        }
        if (!e.note.empty()) item["note"] = e.note;
        items.get_ref<Json::array_t&>().emplace_back(std::move(item));
    }
    Json values = Json::array();
    values.get_ref<Json::array_t&>().reserve(plainValues.size());
    size_t valueDiffs = 0;
    for (const ValueDiffEntry& v : plainValues) {
        valueDiffs += v.status != DiffStatus::Equal;
        Json::object_t value;
        value.emplace("path", v.path);
        value.emplace("left", v.status == DiffStatus::OnlyRight ? Json(nullptr) : Json(v.left));
        value.emplace("right", v.status == DiffStatus::OnlyLeft ? Json(nullptr) : Json(v.right));
        value.emplace("status", diffStatusName(v.status));
        values.get_ref<Json::array_t&>().emplace_back(std::move(value));
    }
    Json summary = {{"tensors", entries.size()},
                    {"aligned", aligned},
                    {"values_compared", valuesCompared},
                    {"nontensor_values", plainValues.size()},
                    {"nontensor_values_differ", valueDiffs},
                    {"equal", equal()},
                    {"text", summaryText()}};
    const DiffStatus kinds[] = {DiffStatus::Equal,        DiffStatus::ValuesDiffer,    DiffStatus::ShapeDiffers,
                                DiffStatus::DTypeDiffers, DiffStatus::LocationDiffers, DiffStatus::OnlyLeft,
                                DiffStatus::OnlyRight};
    // Pairs per status under "counts": "equal" at the top level is the verdict, as the exit status.
    Json counts = Json::object();
    for (DiffStatus kind : kinds)
        counts[diffStatusName(kind)] = count(kind);
    summary["counts"] = std::move(counts);
    Json::object_t result;
    result.emplace("rule", rule.toJson());
    result.emplace("entries", std::move(items));
    result.emplace("values", std::move(values));
    result.emplace("summary", std::move(summary));
    return Json(std::move(result));
}

Result<CheckpointDiff> diffCheckpoints(const Checkpoint& left, const Checkpoint& right, const DiffOptions& options)
{
    CheckpointDiff diff;
    diff.valuesCompared = options.values;
    Side l = describeSide(left), r = describeSide(right);

    // 1. The weight sets, aligned by the inferred rule (left key -> right key).
    if (l.set && r.set) {
        KeyAlignment alignment = alignKeyViews(l.keys, r.keys);
        diff.rule = alignment.rule;
        diff.aligned = alignment.aligned;
    }
    FlatStringIndex rightIndex(r.keys.size());
    for (size_t i = 0; i < r.keys.size(); ++i)
        rightIndex.tryEmplace(r.keys[i], static_cast<int32_t>(i));
    std::vector<bool> rightClaimed(r.keys.size(), false);
    diff.entries.reserve(l.keys.size() + r.keys.size());
    auto claim = [&](std::string_view key) -> long {
        const int32_t* index = rightIndex.find(key);
        if (!index || rightClaimed[static_cast<size_t>(*index)]) return -1;
        rightClaimed[static_cast<size_t>(*index)] = true;
        return static_cast<long>(*index);
    };
    for (size_t i = 0; i < l.keys.size(); ++i) {
        DiffEntry e;
        e.left = l.keys[i];
        e.leftTensor = l.set->entries[i].tensor;
        long j = claim(diff.rule.apply(e.left));
        if (j < 0) j = claim(e.left);
        if (j >= 0) {
            e.right = r.keys[static_cast<size_t>(j)];
            e.rightTensor = r.set->entries[static_cast<size_t>(j)].tensor;
        }
        classify(e, tensorAt(left, e.leftTensor), j >= 0 ? tensorAt(right, e.rightTensor) : nullptr);
        diff.entries.push_back(std::move(e));
    }
    for (size_t j = 0; j < r.keys.size(); ++j) {
        if (rightClaimed[j]) continue;
        DiffEntry e;
        e.right = r.keys[j];
        e.rightTensor = r.set->entries[j].tensor;
        classify(e, nullptr, tensorAt(right, e.rightTensor));
        diff.entries.push_back(std::move(e));
    }

    // 2. Tensors outside the weight sets (optimizer state, extra buffers), paired by their path.
    auto others = [](const Side& s) {
        std::vector<std::pair<std::string, int>> list;
        const auto& tensors = s.checkpoint->tensors;
        for (size_t i = 0; i < tensors.size(); ++i)
            if (!tensors[i].component && !s.inSet[i])
                list.emplace_back(pathToString(tensors[i].path), static_cast<int>(i));
        return list;
    };
    auto leftOthers = others(l), rightOthers = others(r);
    std::unordered_map<std::string, size_t> rightOtherIndex;
    for (size_t j = 0; j < rightOthers.size(); ++j)
        rightOtherIndex.emplace(rightOthers[j].first, j);
    std::vector<bool> otherClaimed(rightOthers.size(), false);
    for (const auto& [path, index] : leftOthers) {
        DiffEntry e;
        e.inWeightSet = false;
        e.left = path;
        e.leftTensor = index;
        auto it = rightOtherIndex.find(path);
        if (it != rightOtherIndex.end() && !otherClaimed[it->second]) {
            otherClaimed[it->second] = true;
            e.right = path;
            e.rightTensor = rightOthers[it->second].second;
        }
        classify(e, tensorAt(left, index), e.rightTensor >= 0 ? tensorAt(right, e.rightTensor) : nullptr);
        diff.entries.push_back(std::move(e));
    }
    for (size_t j = 0; j < rightOthers.size(); ++j) {
        if (otherClaimed[j]) continue;
        DiffEntry e;
        e.inWeightSet = false;
        e.right = rightOthers[j].first;
        e.rightTensor = rightOthers[j].second;
        classify(e, nullptr, tensorAt(right, e.rightTensor));
        diff.entries.push_back(std::move(e));
    }

    // 3. Values, streamed only on request: every pair of one shape (bitwise or numerically).
    if (options.values) {
        uint64_t total = 0, done = 0;
        auto comparable = [&](const DiffEntry& e) {
            const TensorInfo* a = tensorAt(left, e.leftTensor);
            const TensorInfo* b = tensorAt(right, e.rightTensor);
            return a && b && e.status != DiffStatus::OnlyLeft && e.status != DiffStatus::OnlyRight &&
                   a->shape == b->shape;
        };
        for (const DiffEntry& e : diff.entries)
            if (comparable(e)) total += tensorAt(left, e.leftTensor)->nbytes + tensorAt(right, e.rightTensor)->nbytes;
        for (DiffEntry& e : diff.entries) {
            if (!comparable(e)) continue;
            auto compared =
                compareTensorValues(left, e.leftTensor, right, e.rightTensor, options.progress, &done, total);
            if (!compared) {
                if (compared.error().status == Status::Cancelled) return compared.error();
                e.note = "values not compared: " + compared.error().detail;
                continue;
            }
            e.valuesCompared = true;
            e.values = compared.value();
            if (e.status == DiffStatus::Equal || e.status == DiffStatus::LocationDiffers)
                if (!e.values.bitwiseEqual) e.status = DiffStatus::ValuesDiffer;
        }
    }

    // 4. Non-tensor values, by rendering; those inside the compared state dicts are their metadata.
    auto plain = [](const Side& s) {
        std::vector<std::pair<std::string, std::string>> list;
        for (const PlainValue& v : s.checkpoint->values) {
            if (s.set && hasPrefix(v.path, s.set->at)) continue;
            list.emplace_back(pathToString(v.path), renderValue(v.value, kRenderChars));
        }
        return list;
    };
    auto leftValues = plain(l), rightValues = plain(r);
    std::unordered_map<std::string, size_t> rightValueIndex;
    for (size_t j = 0; j < rightValues.size(); ++j)
        rightValueIndex.emplace(rightValues[j].first, j);
    std::vector<bool> valueClaimed(rightValues.size(), false);
    for (const auto& [path, text] : leftValues) {
        ValueDiffEntry v;
        v.path = path;
        v.left = text;
        auto it = rightValueIndex.find(path);
        if (it == rightValueIndex.end() || valueClaimed[it->second]) {
            v.status = DiffStatus::OnlyLeft;
        } else {
            valueClaimed[it->second] = true;
            v.right = rightValues[it->second].second;
            v.status = v.left == v.right ? DiffStatus::Equal : DiffStatus::ValuesDiffer;
        }
        diff.plainValues.push_back(std::move(v));
    }
    for (size_t j = 0; j < rightValues.size(); ++j) {
        if (valueClaimed[j]) continue;
        ValueDiffEntry v;
        v.path = rightValues[j].first;
        v.right = rightValues[j].second;
        v.status = DiffStatus::OnlyRight;
        diff.plainValues.push_back(std::move(v));
    }
    return diff;
}

} // namespace ckpt

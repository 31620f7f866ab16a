#include "core/analysis/matchreport.h"

#include <algorithm>
#include <string_view>

#include <nlohmann/json.hpp>

#include "core/analysis/flatstringindex.h"
#include "core/analysis/keyaligner.h"

namespace ckpt
{

namespace
{

nlohmann::json shapeJson(const std::vector<int64_t>& shape, bool present)
{
    if (!present) return nullptr;
    return nlohmann::json(shape);
}

nlohmann::json dtypeJson(DType dtype)
{
    if (dtype == DType::Unknown) return nullptr;
    return std::string(dtypeName(dtype));
}

std::string plural(size_t n, const char* one, const char* many)
{
    return std::to_string(n) + " " + (n == 1 ? one : many);
}

// "remove `module.` ..." -> "removing `module.` ...", so the rule reads as the way to fix the keys.
std::string gerund(std::string text)
{
    const std::pair<const char*, const char*> verbs[] = {
        {"remove ", "removing "}, {"drop ", "dropping "}, {"add ", "adding "}};
    for (const auto& [verb, ing] : verbs) {
        std::string from = verb;
        size_t pos = 0;
        while ((pos = text.find(from, pos)) != std::string::npos) {
            bool clauseStart = pos == 0 || (pos >= 2 && text.compare(pos - 2, 2, "; ") == 0);
            if (clauseStart) {
                text.replace(pos, from.size(), ing);
                pos += std::string(ing).size();
            } else {
                pos += from.size();
            }
        }
    }
    return text;
}

} // namespace

std::string formatTable(const std::vector<std::vector<std::string>>& rows, size_t maxWidth)
{
    std::vector<size_t> widths;
    for (const auto& row : rows)
        for (size_t c = 0; c < row.size(); ++c) {
            if (widths.size() <= c) widths.push_back(0);
            widths[c] = std::min(maxWidth, std::max(widths[c], row[c].size()));
        }
    std::string text;
    for (const auto& row : rows) {
        std::string line;
        for (size_t c = 0; c < row.size(); ++c) {
            line += row[c];
            if (c + 1 < row.size())
                line += std::string(widths[c] > row[c].size() ? widths[c] - row[c].size() : 0, ' ') + "  ";
        }
        text += line + "\n";
    }
    return text;
}

const char* matchStatusName(MatchStatus status)
{
    switch (status) {
    case MatchStatus::Ok:
        return "ok";
    case MatchStatus::Renamed:
        return "renamed";
    case MatchStatus::ShapeMismatch:
        return "shape_mismatch";
    case MatchStatus::DTypeMismatch:
        return "dtype_mismatch";
    case MatchStatus::Unexpected:
        return "unexpected";
    case MatchStatus::Missing:
        return "missing";
    }
    return "unknown";
}

bool MatchReport::clean() const
{
    return summary.shapeMismatch == 0 && summary.dtypeMismatch == 0 && summary.unexpected == 0 && summary.missing == 0;
}

std::string MatchReport::summaryText() const
{
    const MatchSummary& s = summary;
    std::string text = plural(s.checkpointKeys, "key", "keys") + ": ";
    if (s.ok || !s.renamed) text += std::to_string(s.ok) + " ok, ";
    if (s.renamed) text += std::to_string(s.renamed) + " fixable by " + gerund(rule.describe()) + ", ";
    text += plural(s.shapeMismatch, "shape mismatch", "shape mismatches") + ", ";
    if (s.dtypeMismatch) text += plural(s.dtypeMismatch, "dtype mismatch", "dtype mismatches") + ", ";
    text += std::to_string(s.unexpected) + " unexpected, " + std::to_string(s.missing) + " missing";
    return text;
}

nlohmann::json MatchReport::toJson() const
{
    // Entries are filled member by member rather than from brace lists: a brace list makes a two-element array
    // per member and copies nested documents, which doubled the cost for 40,000 keys.
    using Json = nlohmann::json;
    Json items = Json::array();
    items.get_ref<Json::array_t&>().reserve(entries.size());
    for (const MatchEntry& e : entries) {
        bool hasKey = e.status != MatchStatus::Missing;
        bool hasArch = e.status != MatchStatus::Unexpected;
        Json::object_t item;
        item.emplace("key", hasKey ? Json(e.key) : Json(nullptr));
        item.emplace("arch_key", hasArch ? Json(e.archKey) : Json(nullptr));
        item.emplace("status", matchStatusName(e.status));
        item.emplace("shape", shapeJson(e.shape, hasKey));
        item.emplace("arch_shape", shapeJson(e.archShape, hasArch));
        item.emplace("dtype", hasKey ? dtypeJson(e.dtype) : Json(nullptr));
        item.emplace("arch_dtype", hasArch ? dtypeJson(e.archDtype) : Json(nullptr));
        items.get_ref<Json::array_t&>().emplace_back(std::move(item));
    }
    Json at = Json::array();
    for (const PathElement& p : weightSet)
        at.push_back(p.isIndex ? Json(p.index) : Json(p.key));
    const MatchSummary& s = summary;
    Json::object_t result;
    result.emplace("rule", rule.toJson());
    result.emplace("architecture", Json{{"name", archName}, {"source", archSource}});
    result.emplace("weight_set", std::move(at));
    result.emplace("entries", std::move(items));
    result.emplace("summary", Json{{"checkpoint_keys", s.checkpointKeys},
                                   {"arch_keys", s.archKeys},
                                   {"ok", s.ok},
                                   {"renamed", s.renamed},
                                   {"shape_mismatch", s.shapeMismatch},
                                   {"dtype_mismatch", s.dtypeMismatch},
                                   {"unexpected", s.unexpected},
                                   {"missing", s.missing},
                                   {"clean", clean()},
                                   {"text", summaryText()}});
    return Json(std::move(result));
}

MatchReport matchKeys(const std::vector<KeyInfo>& keys, const ArchitectureSpec& arch)
{
    std::vector<std::string_view> from, to;
    from.reserve(keys.size());
    to.reserve(arch.entries.size());
    for (const KeyInfo& k : keys)
        from.emplace_back(k.key);
    for (const ArchEntry& e : arch.entries)
        to.emplace_back(e.key);
    return matchKeys(keys, arch, alignKeyViews(from, to).rule);
}

MatchReport matchKeys(const std::vector<KeyInfo>& keys, const ArchitectureSpec& arch, const RenameRule& rule)
{
    MatchReport report;
    report.rule = rule;
    report.archName = arch.name;
    report.archSource = arch.source;
    report.summary.checkpointKeys = keys.size();
    report.summary.archKeys = arch.entries.size();

    FlatStringIndex archIndex(arch.entries.size());
    for (size_t i = 0; i < arch.entries.size(); ++i)
        archIndex.tryEmplace(arch.entries[i].key, static_cast<int32_t>(i));
    std::vector<bool> claimed(arch.entries.size(), false);

    auto claim = [&](const std::string& name) -> long {
        const int32_t* index = archIndex.find(name);
        if (!index || claimed[static_cast<size_t>(*index)]) return -1;
        claimed[static_cast<size_t>(*index)] = true;
        return static_cast<long>(*index);
    };

    report.entries.reserve(keys.size() + arch.entries.size());
    for (const KeyInfo& k : keys) {
        MatchEntry e;
        e.key = k.key;
        e.shape = k.shape;
        e.dtype = k.dtype;
        e.tensor = k.tensor;
        std::string renamed = rule.apply(k.key);
        long index = claim(renamed);
        // A key the rule would rename but that already names an architecture key as it is stays as it is.
        if (index < 0 && renamed != k.key) {
            index = claim(k.key);
            if (index >= 0) renamed = k.key;
        }
        if (index < 0) {
            e.status = MatchStatus::Unexpected;
            ++report.summary.unexpected;
        } else {
            const ArchEntry& a = arch.entries[static_cast<size_t>(index)];
            e.archKey = a.key;
            e.archShape = a.shape;
            e.archDtype = a.dtype;
            if (e.shape != a.shape) {
                e.status = MatchStatus::ShapeMismatch;
                ++report.summary.shapeMismatch;
            } else if (e.dtype != DType::Unknown && a.dtype != DType::Unknown && e.dtype != a.dtype) {
                e.status = MatchStatus::DTypeMismatch;
                ++report.summary.dtypeMismatch;
            } else if (renamed == k.key) {
                e.status = MatchStatus::Ok;
                ++report.summary.ok;
            } else {
                e.status = MatchStatus::Renamed;
                ++report.summary.renamed;
            }
        }
        report.entries.push_back(std::move(e));
    }
    for (size_t i = 0; i < arch.entries.size(); ++i) {
        if (claimed[i]) continue;
        MatchEntry e;
        e.status = MatchStatus::Missing;
        e.archKey = arch.entries[i].key;
        e.archShape = arch.entries[i].shape;
        e.archDtype = arch.entries[i].dtype;
        report.entries.push_back(std::move(e));
        ++report.summary.missing;
    }
    return report;
}

std::vector<KeyInfo> weightSetKeys(const Checkpoint& checkpoint, const WeightSet& set)
{
    std::vector<KeyInfo> keys;
    keys.reserve(set.entries.size());
    for (const WeightEntry& w : set.entries) {
        KeyInfo k;
        k.key = w.key;
        k.tensor = w.tensor;
        if (w.tensor >= 0 && static_cast<size_t>(w.tensor) < checkpoint.tensors.size()) {
            const TensorInfo& t = checkpoint.tensors[static_cast<size_t>(w.tensor)];
            k.shape = t.shape;
            k.dtype = t.dtype;
        }
        keys.push_back(std::move(k));
    }
    return keys;
}

Result<MatchReport> matchCheckpoint(const Checkpoint& checkpoint, const ArchitectureSpec& arch)
{
    const WeightSet* set = checkpoint.mainWeightSet();
    if (!set) return makeError(Status::Unsupported, "the file holds no state dict to check");
    MatchReport report = matchKeys(weightSetKeys(checkpoint, *set), arch);
    report.weightSet = set->at;
    return report;
}

} // namespace ckpt

#include "core/analysis/architectureranking.h"

#include <algorithm>
#include <cctype>
#include <unordered_map>

#include "core/analysis/architecturecatalog.h"
#include "core/model/checkpointjson.h"
#include "core/pickle/value.h"

namespace ckpt
{

namespace
{

// Keys under which training scripts record the model they built (torchvision's reference scripts use
// args.arch; Lightning keeps constructor arguments in hyper_parameters).
bool isHintKey(const std::string& key)
{
    static const char* const kKeys[] = {"arch",       "architecture", "arch_name", "model",  "model_name",
                                        "model_type", "backbone",     "net",       "network"};
    return std::any_of(std::begin(kKeys), std::end(kKeys), [&](const char* k) { return key == k; });
}

bool isHintParent(const std::string& key)
{
    static const char* const kParents[] = {"args", "hparams", "hyper_parameters", "config", "cfg", "opt"};
    return std::any_of(std::begin(kParents), std::end(kParents), [&](const char* k) { return key == k; });
}

// "ResNet-18", "torchvision.models.resnet18" -> "resnet18"-like spelling for comparison with catalog names.
std::string normalisedName(std::string text)
{
    const size_t dot = text.rfind('.');
    if (dot != std::string::npos) text = text.substr(dot + 1);
    std::string out;
    for (char c : text) {
        if (c == '-') c = '_';
        out += char(std::tolower(static_cast<unsigned char>(c)));
    }
    return out;
}

std::string pathText(const Path& path)
{
    std::string text;
    for (const PathElement& step : path)
        text += (text.empty() ? "" : ".") + step.toString();
    return text;
}

} // namespace

std::vector<std::pair<std::string, std::string>> architectureHints(const Checkpoint& doc)
{
    std::vector<std::pair<std::string, std::string>> hints;
    for (const PlainValue& value : doc.values) {
        const Path& path = value.path;
        if (path.empty() || path.back().isIndex || !isHintKey(path.back().key)) continue;
        if (!value.value || value.value->kind != ValueKind::String || value.value->text.empty()) continue;
        bool parentOk = path.size() == 1;
        for (size_t i = 0; i + 1 < path.size(); ++i)
            parentOk = parentOk || (!path[i].isIndex && isHintParent(path[i].key));
        if (parentOk) hints.emplace_back(pathText(path), value.value->text);
    }
    return hints;
}

double rankingScore(const ArchitectureFit& fit)
{
    return fit.fit + (fit.hint.empty() ? 0.0 : 0.1);
}

std::vector<ArchitectureFit> rankArchitectures(const Checkpoint& doc, const std::vector<ArchitectureSpec>& candidates)
{
    std::vector<ArchitectureFit> ranking;
    const WeightSet* set = doc.mainWeightSet();
    if (!set || set->entries.empty()) return ranking;

    // The file's keys without the wrapper every key carries (`module.` from DataParallel, ...).
    const std::string prefix = commonWrapperPrefix(doc);
    std::unordered_map<std::string, const std::vector<int64_t>*> shapes;
    shapes.reserve(set->entries.size());
    for (const WeightEntry& entry : set->entries) {
        if (entry.tensor < 0 || size_t(entry.tensor) >= doc.tensors.size()) continue;
        shapes.emplace(entry.key.substr(prefix.size()), &doc.tensors[size_t(entry.tensor)].shape);
    }

    std::unordered_map<std::string, std::string> hinted; // normalised name -> where the file says it
    for (const auto& [where, name] : architectureHints(doc))
        hinted.emplace(normalisedName(name), where);

    ranking.reserve(candidates.size());
    for (const ArchitectureSpec& spec : candidates) {
        ArchitectureFit fit;
        fit.name = spec.name;
        fit.archKeys = spec.entries.size();
        fit.fileKeys = shapes.size();
        for (const ArchEntry& entry : spec.entries) {
            auto it = shapes.find(entry.key);
            if (it == shapes.end()) continue;
            ++fit.keysMatched;
            if (*it->second == entry.shape) ++fit.shapesMatched;
        }
        const size_t unionSize = fit.archKeys + fit.fileKeys - fit.keysMatched;
        fit.fit = unionSize ? double(fit.shapesMatched) / double(unionSize) : 0.0;
        auto hint = hinted.find(normalisedName(spec.name));
        if (hint != hinted.end()) fit.hint = hint->second;
        ranking.push_back(std::move(fit));
    }
    std::stable_sort(ranking.begin(), ranking.end(), [](const ArchitectureFit& a, const ArchitectureFit& b) {
        return rankingScore(a) > rankingScore(b);
    });
    return ranking;
}

std::vector<ArchitectureFit> rankArchitectures(const Checkpoint& doc)
{
    if (!doc.mainWeightSet()) return {};
    std::vector<ArchitectureSpec> catalog;
    for (const std::string& name : catalogNames()) {
        Result<ArchitectureSpec> spec = catalogSpec(name);
        if (spec.ok()) catalog.push_back(std::move(spec.value()));
    }
    return rankArchitectures(doc, catalog);
}

} // namespace ckpt

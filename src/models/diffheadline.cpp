#include "models/diffheadline.h"

namespace ckpt::models
{

namespace
{

std::string joinTicked(const std::vector<std::string>& parts)
{
    std::string out;
    for (size_t i = 0; i < parts.size(); ++i) {
        if (i > 0) out += i + 1 == parts.size() ? " and " : ", ";
        out += '`' + parts[i] + '`';
    }
    return out;
}

// "after removing `module.`" for the common prefix rules, the engine's description otherwise.
std::string rulePhrase(const RenameRule& rule)
{
    if (rule.empty()) return {};
    if (rule.dropComponents.empty() && rule.addPrefixes.empty())
        return " after removing " + joinTicked(rule.stripPrefixes);
    if (rule.dropComponents.empty() && rule.stripPrefixes.empty())
        return " after adding " + joinTicked(rule.addPrefixes);
    return " after the rule: " + rule.describe();
}

} // namespace

std::string diffHeadline(const CheckpointDiff& diff)
{
    size_t pairs = 0;
    for (const DiffEntry& e : diff.entries)
        pairs += e.status != DiffStatus::OnlyLeft && e.status != DiffStatus::OnlyRight;
    std::string text = std::to_string(diff.count(DiffStatus::Equal)) + " of " + std::to_string(pairs) + " tensors " +
                       (diff.valuesCompared ? "equal" : "alike in name, shape, dtype and location") +
                       rulePhrase(diff.rule);
    const std::pair<DiffStatus, const char*> kinds[] = {
        {DiffStatus::ValuesDiffer, "values differ"},     {DiffStatus::ShapeDiffers, "shapes differ"},
        {DiffStatus::DTypeDiffers, "dtypes differ"},     {DiffStatus::LocationDiffers, "locations differ"},
        {DiffStatus::OnlyLeft, "only in the left file"}, {DiffStatus::OnlyRight, "only in the right file"},
    };
    for (const auto& [kind, words] : kinds)
        if (size_t n = diff.count(kind)) text += "; " + std::to_string(n) + " " + words;
    size_t valueDiffs = 0;
    for (const ValueDiffEntry& v : diff.plainValues)
        valueDiffs += v.status != DiffStatus::Equal;
    if (!diff.plainValues.empty())
        text += "; " + std::to_string(valueDiffs) + " of " + std::to_string(diff.plainValues.size()) +
                " other values differ";
    return text;
}

} // namespace ckpt::models

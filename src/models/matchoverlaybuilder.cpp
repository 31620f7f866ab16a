#include "models/matchoverlaybuilder.h"

namespace ckpt::models
{

namespace
{

MatchState stateOf(MatchStatus s)
{
    switch (s) {
    case MatchStatus::Ok:
        return MatchState::Ok;
    case MatchStatus::Renamed:
        return MatchState::Renamed;
    case MatchStatus::ShapeMismatch:
        return MatchState::ShapeMismatch;
    case MatchStatus::DTypeMismatch:
        return MatchState::DtypeMismatch;
    case MatchStatus::Unexpected:
        return MatchState::Unexpected;
    case MatchStatus::Missing:
        return MatchState::Missing;
    }
    return MatchState::None;
}

// Where an architecture key would sit in the checkpoint: undo the rule's added prefixes, redo its stripped ones.
// Infix components cannot be put back unambiguously, so such ghosts sit at the architecture's name.
std::string checkpointKeyFor(const std::string& archKey, const RenameRule& rule)
{
    std::string key = archKey;
    for (auto it = rule.addPrefixes.rbegin(); it != rule.addPrefixes.rend(); ++it)
        if (key.rfind(*it, 0) == 0) key.erase(0, it->size());
    std::string prefix;
    for (const std::string& p : rule.stripPrefixes)
        prefix += p;
    return prefix + key;
}

} // namespace

std::shared_ptr<const MatchOverlay> overlayFromReport(const MatchReport& report)
{
    auto o = std::make_shared<MatchOverlay>();
    o->archName = report.archName;
    o->ruleText = report.rule.empty() ? std::string() : report.rule.describe();
    o->summary = report.summaryText();
    for (const PathElement& e : report.weightSet)
        o->weightSetPath.push_back(e.toString());
    for (const MatchEntry& e : report.entries) {
        const MatchState state = stateOf(e.status);
        if (state == MatchState::Missing) {
            o->missing.push_back({checkpointKeyFor(e.archKey, report.rule), e.archKey, e.archShape, e.archDtype});
            continue;
        }
        if (e.tensor >= 0) o->byTensor[e.tensor] = RowMatch{state, e.archKey, e.archShape, e.archDtype};
    }
    o->okCount = int(report.summary.ok);
    o->renamedCount = int(report.summary.renamed);
    o->shapeCount = int(report.summary.shapeMismatch);
    o->dtypeCount = int(report.summary.dtypeMismatch);
    o->unexpectedCount = int(report.summary.unexpected);
    return o;
}

} // namespace ckpt::models

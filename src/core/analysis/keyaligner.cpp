#include "core/analysis/keyaligner.h"

#include <algorithm>
#include <cstdint>
#include <string_view>
#include <tuple>
#include <unordered_map>
#include <unordered_set>

namespace ckpt
{

namespace
{

// How many leading components a candidate may strip or add. Real wrappers stack two deep
// (`_orig_mod.module.`, `base_model.model.`); four leaves room for a user's own nesting.
constexpr size_t kMaxPrefixComponents = 4;
// A key suffix shared by more architecture keys than this says nothing about the prefix ("weight"),
// and voting on it would cost quadratic time on large models.
constexpr size_t kMaxPostings = 8;
// Candidates from suffix voting that are scored exactly, besides the known wrappers.
constexpr size_t kVotedCandidates = 8;

const char* const kWrapperComponents[] = {"module", "_orig_mod", "_fsdp_wrapped_module", "_checkpoint_wrapped_module",
                                          "_fpw_module"};

bool startsWith(std::string_view text, std::string_view prefix)
{
    return text.size() >= prefix.size() && text.compare(0, prefix.size(), prefix) == 0;
}

size_t componentCount(std::string_view prefix)
{
    return static_cast<size_t>(std::count(prefix.begin(), prefix.end(), '.'));
}

// Lengths of the component prefixes of `key` ("", "a.", "a.b.", ...), never the whole key.
void prefixLengths(std::string_view key, std::vector<size_t>& out)
{
    out.clear();
    out.push_back(0);
    size_t pos = 0;
    while (out.size() <= kMaxPrefixComponents) {
        size_t dot = key.find('.', pos);
        if (dot == std::string_view::npos || dot + 1 >= key.size()) break;
        pos = dot + 1;
        out.push_back(pos);
    }
}

// True when `component` appears in `key` as a dot-separated component other than the last.
bool hasInfixComponent(std::string_view key, std::string_view component)
{
    size_t start = 0;
    while (true) {
        size_t dot = key.find('.', start);
        if (dot == std::string_view::npos) return false;
        if (key.substr(start, dot - start) == component) return true;
        start = dot + 1;
    }
}

struct Candidate {
    std::string strip;
    std::string add;
    std::vector<std::string> drop;
    size_t votes = 0;
    size_t score = 0;
};

RenameRule toRule(const Candidate& c)
{
    RenameRule rule;
    if (!c.strip.empty()) rule.stripPrefixes.push_back(c.strip);
    rule.dropComponents = c.drop;
    if (!c.add.empty()) rule.addPrefixes.push_back(c.add);
    return rule;
}

bool isKnown(const std::string& prefix)
{
    const auto& known = knownWrapperPrefixes();
    return prefix.empty() || std::find(known.begin(), known.end(), prefix) != known.end();
}

// Ordering of equally scoring rules: the one a person would write by hand comes first.
bool simpler(const Candidate& a, const Candidate& b)
{
    if (a.drop.size() != b.drop.size()) return a.drop.size() < b.drop.size();
    size_t ca = componentCount(a.strip) + componentCount(a.add);
    size_t cb = componentCount(b.strip) + componentCount(b.add);
    if (ca != cb) return ca < cb;
    bool ka = isKnown(a.strip) && isKnown(a.add);
    bool kb = isKnown(b.strip) && isKnown(b.add);
    if (ka != kb) return ka;
    return a.votes > b.votes;
}

} // namespace

const std::vector<std::string>& knownWrapperPrefixes()
{
    static const std::vector<std::string> prefixes = {
        "_orig_mod.module.",
        "module._orig_mod.",
        "module.module.",
        "_fsdp_wrapped_module._fpw_module.",
        "base_model.model.",
        "_orig_mod.",
        "module.",
        "_fsdp_wrapped_module.",
        "_checkpoint_wrapped_module.",
        "model.",
        "backbone.",
        "encoder.",
    };
    return prefixes;
}

KeyAlignment alignKeys(const std::vector<std::string>& from, const std::vector<std::string>& to)
{
    std::unordered_map<std::string_view, uint32_t> target;
    target.reserve(to.size() * 2);
    for (const std::string& key : to)
        target.emplace(key, static_cast<uint32_t>(target.size()));
    const size_t perfect = std::min(from.size(), target.size());

    // Exact score of a candidate: distinct architecture keys hit. Runs over every key for each candidate,
    // so it reuses one buffer and a stamp per target instead of allocating.
    std::vector<uint32_t> stamp(target.size(), 0);
    uint32_t round = 0;
    std::string buffer;
    auto score = [&](const Candidate& c) {
        ++round;
        RenameRule rule = c.drop.empty() ? RenameRule{} : toRule(c);
        size_t count = 0;
        for (const std::string& key : from) {
            std::string_view renamed(key);
            if (!c.drop.empty()) {
                buffer = rule.apply(key);
                renamed = buffer;
            } else {
                if (!c.strip.empty() && startsWith(renamed, c.strip)) renamed.remove_prefix(c.strip.size());
                if (!c.add.empty()) {
                    buffer.assign(c.add);
                    buffer.append(renamed);
                    renamed = buffer;
                }
            }
            auto it = target.find(renamed);
            if (it != target.end() && stamp[it->second] != round) {
                stamp[it->second] = round;
                ++count;
            }
        }
        return count;
    };

    KeyAlignment result;
    result.identity = score(Candidate{});
    result.aligned = result.identity;
    if (result.identity == perfect) return result; // nothing can align more than the empty rule

    // Suffix index over the architecture keys: core -> the prefixes it appears under.
    struct Posting {
        std::string_view prefix;
        int32_t next;
    };
    std::vector<Posting> postings;
    postings.reserve(to.size() * 3);
    std::unordered_map<std::string_view, int32_t> heads;
    heads.reserve(to.size() * 4);
    std::vector<size_t> lengths;
    for (const std::string& key : to) {
        std::string_view view(key);
        prefixLengths(view, lengths);
        for (size_t len : lengths) {
            auto [it, inserted] = heads.try_emplace(view.substr(len), -1);
            postings.push_back({view.substr(0, len), it->second});
            it->second = static_cast<int32_t>(postings.size() - 1);
        }
    }

    // Votes for (strip, add) pairs: every checkpoint key whose core appears in the architecture under a
    // handful of prefixes votes once for each pairing.
    std::unordered_map<std::string_view, uint32_t> internIds;
    std::vector<std::string_view> interned;
    auto intern = [&](std::string_view text) {
        auto [it, inserted] = internIds.try_emplace(text, static_cast<uint32_t>(interned.size()));
        if (inserted) interned.push_back(text);
        return it->second;
    };
    std::unordered_map<uint64_t, size_t> votes;
    for (const std::string& key : from) {
        std::string_view view(key);
        prefixLengths(view, lengths);
        for (size_t len : lengths) {
            auto it = heads.find(view.substr(len));
            if (it == heads.end()) continue;
            size_t n = 0;
            for (int32_t p = it->second; p >= 0 && n <= kMaxPostings; p = postings[p].next)
                ++n;
            if (n > kMaxPostings) continue;
            uint64_t stripId = intern(view.substr(0, len));
            for (int32_t p = it->second; p >= 0; p = postings[p].next)
                ++votes[(stripId << 32) | intern(postings[p].prefix)];
        }
    }

    std::vector<Candidate> candidates;
    for (const auto& [pair, count] : votes) {
        if ((pair >> 32) == (pair & 0xffffffffu)) continue; // same as the empty rule
        candidates.push_back(
            Candidate{std::string(interned[pair >> 32]), std::string(interned[pair & 0xffffffffu]), {}, count, 0});
    }
    // Most votes first, the simplest rule first among equals, so the first perfect candidate is the answer.
    std::sort(candidates.begin(), candidates.end(), [](const Candidate& a, const Candidate& b) {
        if (a.votes != b.votes) return a.votes > b.votes;
        if (simpler(a, b) != simpler(b, a)) return simpler(a, b);
        return std::tie(a.strip, a.add) < std::tie(b.strip, b.add);
    });
    if (candidates.size() > kVotedCandidates) candidates.resize(kVotedCandidates);
    // Known wrappers are always tried in both directions, so a small or odd key list still gets them.
    for (const std::string& prefix : knownWrapperPrefixes()) {
        bool inFrom =
            std::any_of(from.begin(), from.end(), [&](const std::string& k) { return startsWith(k, prefix); });
        bool inTo = std::any_of(to.begin(), to.end(), [&](const std::string& k) { return startsWith(k, prefix); });
        if (inFrom) candidates.push_back(Candidate{prefix, "", {}, 0, 0});
        if (inTo) candidates.push_back(Candidate{"", prefix, {}, 0, 0});
    }
    // Infix wrapper components present in the checkpoint but not in the architecture are dropped.
    std::vector<std::string> drop;
    for (const char* component : kWrapperComponents) {
        auto infix = [&](const std::string& k) { return hasInfixComponent(k, component); };
        if (std::any_of(from.begin(), from.end(), infix) && !std::any_of(to.begin(), to.end(), infix))
            drop.push_back(component);
    }
    if (!drop.empty()) {
        size_t base = candidates.size();
        candidates.push_back(Candidate{"", "", drop, 0, 0});
        for (size_t i = 0; i < base; ++i) {
            Candidate c = candidates[i];
            c.drop = drop;
            candidates.push_back(std::move(c));
        }
    }

    Candidate best;
    best.score = result.identity;
    for (Candidate& c : candidates) {
        c.score = score(c);
        if (c.score > best.score || (c.score == best.score && best.score > result.identity && simpler(c, best)))
            best = c;
        if (best.score == perfect && c.drop.empty() && best.drop.empty()) break;
    }
    if (best.score > result.identity) {
        result.rule = toRule(best);
        result.aligned = best.score;
    }
    return result;
}

} // namespace ckpt

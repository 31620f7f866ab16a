#include "core/analysis/keyaligner.h"

#include <algorithm>
#include <cstdint>
#include <iterator>
#include <string_view>
#include <tuple>
#include <unordered_map>

#include "core/analysis/flatstringindex.h"

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

constexpr std::string_view kWrapperComponents[] = {
    "module", "_orig_mod", "_fsdp_wrapped_module", "_checkpoint_wrapped_module", "_fpw_module", "_forward_module"};

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

// Which known wrapper prefixes start some key, and which wrapper components appear in some key other than as
// its last component. One pass over the keys: asking key by key per wrapper walked 40,000 keys 34 times.
struct WrapperPresence {
    std::vector<bool> prefix;                       // by knownWrapperPrefixes() index
    bool infix[std::size(kWrapperComponents)] = {}; // by kWrapperComponents index
};

WrapperPresence findWrappers(const std::vector<std::string_view>& keys)
{
    const std::vector<std::string>& known = knownWrapperPrefixes();
    WrapperPresence found;
    found.prefix.assign(known.size(), false);
    size_t missingPrefixes = known.size(), missingInfixes = std::size(kWrapperComponents);
    for (std::string_view view : keys) {
        if (missingPrefixes == 0 && missingInfixes == 0) break;
        if (view.empty()) continue;
        for (size_t i = 0; i < known.size() && missingPrefixes; ++i)
            // The first byte rules out most prefixes without a call to memcmp.
            if (!found.prefix[i] && known[i][0] == view[0] && startsWith(view, known[i])) {
                found.prefix[i] = true;
                --missingPrefixes;
            }
        for (size_t start = 0, dot; missingInfixes && (dot = view.find('.', start)) != std::string_view::npos;
             start = dot + 1) {
            std::string_view component = view.substr(start, dot - start);
            for (size_t i = 0; i < std::size(kWrapperComponents); ++i)
                if (!found.infix[i] && component == kWrapperComponents[i]) {
                    found.infix[i] = true;
                    --missingInfixes;
                }
        }
    }
    return found;
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
        "_forward_module.", // Lightning's wrapper under DeepSpeed/FSDP strategies
        "model.",
        "backbone.",
        "encoder.",
    };
    return prefixes;
}

KeyAlignment alignKeys(const std::vector<std::string>& from, const std::vector<std::string>& to)
{
    return alignKeyViews(std::vector<std::string_view>(from.begin(), from.end()),
                         std::vector<std::string_view>(to.begin(), to.end()));
}

KeyAlignment alignKeyViews(const std::vector<std::string_view>& from, const std::vector<std::string_view>& to)
{
    FlatStringIndex target(to.size());
    for (std::string_view key : to)
        target.tryEmplace(key, static_cast<int32_t>(target.size()));
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
        for (std::string_view key : from) {
            std::string_view renamed(key);
            if (!c.drop.empty()) {
                buffer = rule.apply(std::string(key));
                renamed = buffer;
            } else {
                if (!c.strip.empty() && startsWith(renamed, c.strip)) renamed.remove_prefix(c.strip.size());
                if (!c.add.empty()) {
                    buffer.assign(c.add);
                    buffer.append(renamed);
                    renamed = buffer;
                }
            }
            const int32_t* id = target.find(renamed);
            if (id && stamp[static_cast<size_t>(*id)] != round) {
                stamp[static_cast<size_t>(*id)] = round;
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
    FlatStringIndex heads(to.size() * 3);
    std::vector<size_t> lengths;
    for (std::string_view view : to) {
        prefixLengths(view, lengths);
        for (size_t len : lengths) {
            int32_t* head = heads.tryEmplace(view.substr(len), -1).first;
            postings.push_back({view.substr(0, len), *head});
            *head = static_cast<int32_t>(postings.size() - 1);
        }
    }

    // Votes for (strip, add) pairs: every checkpoint key whose core appears in the architecture under a
    // handful of prefixes votes once for each pairing.
    FlatStringIndex internIds;
    std::vector<std::string_view> interned;
    auto intern = [&](std::string_view text) {
        auto [id, inserted] = internIds.tryEmplace(text, static_cast<int32_t>(interned.size()));
        if (inserted) interned.push_back(text);
        return static_cast<uint32_t>(*id);
    };
    std::unordered_map<uint64_t, size_t> votes;
    for (std::string_view view : from) {
        prefixLengths(view, lengths);
        for (size_t len : lengths) {
            const int32_t* head = heads.find(view.substr(len));
            if (!head) continue;
            size_t n = 0;
            for (int32_t p = *head; p >= 0 && n <= kMaxPostings; p = postings[p].next)
                ++n;
            if (n > kMaxPostings) continue;
            uint64_t stripId = intern(view.substr(0, len));
            for (int32_t p = *head; p >= 0; p = postings[p].next)
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
    WrapperPresence inFrom = findWrappers(from), inTo = findWrappers(to);
    const std::vector<std::string>& known = knownWrapperPrefixes();
    for (size_t i = 0; i < known.size(); ++i) {
        if (inFrom.prefix[i]) candidates.push_back(Candidate{known[i], "", {}, 0, 0});
        if (inTo.prefix[i]) candidates.push_back(Candidate{"", known[i], {}, 0, 0});
    }
    // Infix wrapper components present in the checkpoint but not in the architecture are dropped.
    std::vector<std::string> drop;
    for (size_t i = 0; i < std::size(kWrapperComponents); ++i)
        if (inFrom.infix[i] && !inTo.infix[i]) drop.emplace_back(kWrapperComponents[i]);
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

// Loader payloads: bytes inside a pickle that a loader call turns back into objects when the file is loaded.
// The scanner reads them as torch.load would and merges what they import into the document, so a payload
// one level down is as visible as one in the file's own pickle.
#include "core/analysis/loaderpayload.h"

#include <algorithm>
#include <cstring>
#include <optional>
#include <unordered_map>
#include <unordered_set>

#include "core/analysis/securityscan.h"
#include "core/graph/graphvisitor.h"
#include "core/limits.h"
#include "core/pickle/unpickler.h"
#include "core/pickle/valuechildren.h"
#include "core/zip/ziparchive.h"

namespace ckpt
{

namespace
{

struct LoaderName {
    std::string_view module;
    std::string_view name;
};

// Exact names; each takes bytes, a file object or a path and unpickles (or unmarshals) what it reads.
constexpr LoaderName kLoaders[] = {
    {"torch.storage", "_load_from_bytes"},
    {"torch", "load"},
    {"torch.serialization", "load"},
    {"torch.serialization", "_load"},
    {"torch.serialization", "_legacy_load"},
    {"torch.jit", "load"},
    {"torch.jit._serialization", "load"},
    {"pickle", "loads"},
    {"pickle", "load"},
    {"pickle", "_loads"},
    {"pickle", "_load"},
    {"pickle", "Unpickler"},
    {"_pickle", "loads"},
    {"_pickle", "load"},
    {"_pickle", "Unpickler"},
    {"cPickle", "loads"},
    {"cPickle", "load"},
    {"marshal", "loads"},
    {"marshal", "load"},
    {"numpy", "load"},
    {"numpy", "loads"},
    {"numpy.lib.npyio", "load"},
    {"numpy.core.numeric", "loads"},
    {"dill", "loads"},
    {"dill", "load"},
    {"dill._dill", "loads"},
    {"dill._dill", "load"},
    {"cloudpickle", "loads"},
    {"cloudpickle", "load"},
    {"joblib", "load"},
    {"pandas", "read_pickle"},
    {"pandas.io.pickle", "read_pickle"},
};

constexpr unsigned char kLegacyMagic[] = {0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19};
constexpr size_t kLegacyPickles = 5; // magic, protocol, sys_info, main pickle, storage keys

std::string qualified(const Value* global)
{
    return global->text + "." + global->text2;
}

bool isLoaderGlobal(const Value* value)
{
    return value && value->kind == ValueKind::Global && isPayloadLoader(value->text, value->text2);
}

// Decodes UTF-8 text whose every code point is below 256 into those bytes (protocol 2 writes bytes as
// _codecs.encode(text, 'latin1')).
std::optional<std::string> latin1Bytes(const std::string& text)
{
    std::string out;
    out.reserve(text.size());
    for (size_t i = 0; i < text.size(); ++i) {
        auto byte = static_cast<unsigned char>(text[i]);
        if (byte < 0x80) {
            out.push_back(static_cast<char>(byte));
        } else if ((byte & 0xE0) == 0xC0 && i + 1 < text.size()) {
            unsigned code = ((byte & 0x1Fu) << 6) | (static_cast<unsigned char>(text[++i]) & 0x3Fu);
            if (code > 0xFF) return std::nullopt;
            out.push_back(static_cast<char>(code));
        } else {
            return std::nullopt;
        }
    }
    return out;
}

// The bytes a pickle spells out literally (BINBYTES, SHORT_BINSTRING kept raw, or protocol 2's
// _codecs.encode(text, 'latin1')); nothing for values only a call could compute.
std::optional<std::string> literalBytes(const Value* value)
{
    if (!value) return std::nullopt;
    if (value->kind == ValueKind::Bytes) return value->text;
    if (value->kind != ValueKind::Object || value->how != ObjectHow::Reduce || !value->callable ||
        !value->callable->isGlobal("_codecs", "encode") || !value->args || value->args->kind != ValueKind::Tuple ||
        value->args->items.size() != 2 || !value->args->items[0]->isString() || !value->args->items[1]->isString())
        return std::nullopt;
    const std::string& encoding = value->args->items[1]->text;
    if (encoding != "latin1" && encoding != "latin-1") return std::nullopt;
    return latin1Bytes(value->args->items[0]->text);
}

struct LoaderCall {
    const Value* node = nullptr;   // the call, or the Global when reached some other way
    const Value* loader = nullptr; // the Global
    std::optional<std::string> payload;
    std::string problem; // why there is no payload to scan
};

bool callsItsCallable(const Value* value)
{
    return value->kind == ValueKind::Object &&
           (value->how == ObjectHow::Reduce || value->how == ObjectHow::Inst || value->how == ObjectHow::Obj);
}

// Every loader call reachable from `roots`, and every loader Global reached other than as what a call calls (a
// BUILD state's __setstate__, a NEWOBJ class...), whose use the scanner cannot follow. Each value is expanded
// once under `visitor` and charged one step then, so the work budget (more steps than the arena has values)
// never cuts this walk short: a call hidden behind millions of references to one value is still found. Only a
// cancel ends it early; the load then fails as cancelled, so no partial scan is ever shown.
std::vector<LoaderCall> findLoaderCalls(const std::vector<const Value*>& roots,
                                        const std::vector<std::pair<const Value*, const Value*>>& replacedStates,
                                        GraphVisitor& visitor)
{
    std::unordered_multimap<const Value*, const Value*> replaced;
    for (const auto& [object, state] : replacedStates)
        replaced.emplace(object, state);
    std::vector<LoaderCall> calls;
    std::unordered_set<const Value*> oddlyReached;
    std::vector<const Value*> pending;
    auto reach = [&](const Value* parent, const Value* child) {
        if (!child || child->isScalar()) return;
        if (isLoaderGlobal(child) && !(parent && callsItsCallable(parent) && parent->callable == child) &&
            oddlyReached.insert(child).second)
            calls.push_back({child, child, std::nullopt,
                             "it is reached other than by a direct call (a state, a class to construct...), so "
                             "what it is given cannot be read"});
        if (visitor.firstVisit(child)) pending.push_back(child);
    };
    for (const Value* root : roots)
        reach(nullptr, root);
    while (!pending.empty() && visitor.spend()) {
        const Value* value = pending.back();
        pending.pop_back();
        if (callsItsCallable(value) && isLoaderGlobal(value->callable)) {
            LoaderCall call{value, value->callable, std::nullopt, {}};
            if (value->args && value->args->kind == ValueKind::Tuple && !value->args->items.empty())
                call.payload = literalBytes(value->args->items[0]);
            if (!call.payload) call.problem = "its argument is not literal bytes, so it cannot be scanned";
            calls.push_back(std::move(call));
        }
        auto visit = [&](const Value* child) { reach(value, child); };
        forEachChild(value, visit);
        auto [first, last] = replaced.equal_range(value);
        for (auto it = first; it != last; ++it)
            visit(it->second);
    }
    return calls;
}

// Reads payloads recursively under one shared byte budget. Each pickle lives in its own arena only while its
// globals are recorded and its loader calls' payloads copied out, so memory is one pickle's graph at a time.
class PayloadScanner
{
public:
    PayloadScanner(Checkpoint& doc, const std::atomic<bool>* cancel) : m_doc(doc), m_cancel(cancel) {}

    // Why the payload is dangerous ("" when it is not). `via` says where it is, `loader` the outermost loader.
    std::string scan(std::string_view bytes, size_t depth, const std::string& via, const std::string& loader)
    {
        if (depth > limits::kMaxLoaderPayloadDepth)
            return "its payload nests loaders deeper than kMaxLoaderPayloadDepth (" +
                   std::to_string(limits::kMaxLoaderPayloadDepth) + "), so it was not scanned";
        if (!spend(bytes.size())) return budgetSpent();
        if (bytes.size() >= 4 && std::memcmp(bytes.data(), "PK\x03\x04", 4) == 0)
            return scanZip(bytes, depth, via, loader);
        return scanStream(bytes, depth, via, loader);
    }

private:
    bool spend(uint64_t bytes)
    {
        if (bytes > m_bytesLeft) return false;
        m_bytesLeft -= bytes;
        return true;
    }
    static std::string budgetSpent()
    {
        return "its payloads exceed kMaxLoaderPayloadBytes (" + std::to_string(limits::kMaxLoaderPayloadBytes) +
               " bytes), so they were not all scanned";
    }

    // torch.load of a zip: data.pkl (and, for a TorchScript archive, torch.jit.load of every pickle and code/).
    std::string scanZip(std::string_view bytes, size_t depth, const std::string& via, const std::string& loader)
    {
        auto zip = ZipArchive::open(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
        if (!zip) return "its payload is a zip the scanner cannot read (" + zip.error().detail + ")";
        std::string why;
        for (const ZipEntry& entry : zip.value().entries()) {
            const std::string& name = entry.name;
            bool script = name.find("/code/") != std::string::npos ||
                          (name.size() >= 14 && name.compare(name.size() - 14, 14, "/constants.pkl") == 0);
            if (script && why.empty())
                why = "its payload is a TorchScript archive, which torch.load hands to torch.jit.load (that compiles "
                      "and runs its code)";
            if (name.size() < 4 || name.compare(name.size() - 4, 4, ".pkl") != 0) continue;
            if (entry.method != 0 && !spend(entry.uncompressedSize)) return budgetSpent();
            std::string storage;
            auto record = zip.value().read(entry, storage);
            if (!record) return "its payload's record '" + name + "' cannot be read (" + record.error().detail + ")";
            std::string inner = scanPickles(record.value(), 1, depth, via + " (record " + name + ")", loader);
            if (why.empty()) why = inner;
        }
        return why;
    }

    // A raw pickle, or a legacy torch stream (torch.load unpickles the first pickle before it checks the magic).
    std::string scanStream(std::string_view bytes, size_t depth, const std::string& via, const std::string& loader)
    {
        return scanPickles(bytes, kLegacyPickles, depth, via, loader);
    }

    // Up to `most` pickles one after another (more than one only after a legacy magic number).
    std::string scanPickles(std::string_view bytes, size_t most, size_t depth, const std::string& via,
                            const std::string& loader)
    {
        std::string why;
        uint64_t pos = 0;
        // What a nested loader call needs once its pickle's arena is gone: names and offsets copied out.
        struct Pending {
            std::string loader;
            uint64_t offset = 0;
            std::optional<std::string> payload;
            std::string problem;
        };
        for (size_t index = 0; index < most && pos < bytes.size(); ++index) {
            std::vector<Pending> inner;
            bool legacyMagic = false;
            {
                ValueArena arena;
                auto parsed =
                    unpickle(reinterpret_cast<const uint8_t*>(bytes.data()) + pos, bytes.size() - pos, arena, pos);
                // A real unpickler runs what comes before the error; a payload the scanner cannot parse is
                // not a payload it can vouch for.
                if (!parsed) return "its payload does not parse as a pickle (" + parsed.error().detail + ")";
                recordGlobals(m_doc, parsed.value().globals, via, loader);
                for (const GlobalSeen& global : parsed.value().globals)
                    if (why.empty() && classifyGlobal(global.module, global.name) == Severity::Dangerous)
                        why = "its payload imports " + global.module + "." + global.name;
                GraphVisitor visitor(arena.size(), m_cancel);
                for (LoaderCall& call : findLoaderCalls({parsed.value().root}, parsed.value().replacedStates, visitor))
                    inner.push_back({qualified(call.loader), call.node->offset, std::move(call.payload), call.problem});
                const Value* root = parsed.value().root;
                legacyMagic = root->kind == ValueKind::BigInt && root->text.size() == sizeof kLegacyMagic &&
                              std::memcmp(root->text.data(), kLegacyMagic, sizeof kLegacyMagic) == 0;
                pos += parsed.value().end;
            } // the arena goes; what is needed was copied
            for (const Pending& call : inner) {
                std::string where =
                    via + ", then in the bytes given to " + call.loader + " at offset " + std::to_string(call.offset);
                std::string nested = call.payload ? scan(*call.payload, depth + 1, where, loader) : call.problem;
                if (why.empty() && !nested.empty()) why = nested;
            }
            if (index == 0 && !legacyMagic) break;
        }
        return why;
    }

    Checkpoint& m_doc;
    const std::atomic<bool>* m_cancel;
    uint64_t m_bytesLeft = limits::kMaxLoaderPayloadBytes;
};

} // namespace

bool isPayloadLoader(std::string_view module, std::string_view name)
{
    return std::any_of(std::begin(kLoaders), std::end(kLoaders),
                       [&](const LoaderName& loader) { return loader.module == module && loader.name == name; });
}

bool loaderIsDangerousItself(std::string_view module, std::string_view name)
{
    return !(module == "torch.storage" && name == "_load_from_bytes");
}

void scanLoaderPayloads(Checkpoint& doc, const std::vector<const Value*>& roots,
                        const std::vector<std::pair<const Value*, const Value*>>& replacedStates,
                        const std::atomic<bool>* cancel)
{
    bool anyLoader = std::any_of(doc.globals.begin(), doc.globals.end(), [](const GlobalRef& global) {
        return global.viaLoader.empty() && isPayloadLoader(global.module, global.name);
    });
    if (!anyLoader) return;
    PayloadScanner scanner(doc, cancel);
    GraphVisitor visitor(doc.arena->size(), cancel);
    for (const LoaderCall& call : findLoaderCalls(roots, replacedStates, visitor)) {
        std::string name = qualified(call.loader);
        std::string at = name + " at offset " + std::to_string(call.node->offset);
        std::string why =
            call.payload ? scanner.scan(*call.payload, 1, "in the bytes given to " + at, name) : call.problem;
        if (why.empty() || loaderIsDangerousItself(call.loader->text, call.loader->text2)) continue;
        doc.dangerousCalls.push_back({call.node, call.loader, why});
        doc.findings.push_back(
            {Severity::Dangerous, "calls " + at + ", and " + why + " (a real torch.load would run what it holds)"});
    }
}

} // namespace ckpt

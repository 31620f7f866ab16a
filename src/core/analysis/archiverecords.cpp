#include "core/analysis/archiverecords.h"

#include "core/analysis/securityscan.h"
#include "core/limits.h"
#include "core/pickle/unpickler.h"

namespace ckpt
{

void scanOtherPickleRecords(Checkpoint& doc, const ZipArchive& zip, const std::string& dataPickle,
                            std::vector<const Value*>& roots,
                            std::vector<std::pair<const Value*, const Value*>>& replacedStates)
{
    for (const ZipEntry& entry : zip.entries()) {
        const std::string& name = entry.name;
        if (name == dataPickle || name.size() < 4 || name.compare(name.size() - 4, 4, ".pkl") != 0) continue;
        std::string storage;
        auto bytes = zip.read(entry, storage);
        if (!bytes) {
            doc.findings.push_back({Severity::Unknown, "record '" + name + "' cannot be read (" + bytes.error().detail +
                                                           "); its imports are not known"});
            continue;
        }
        if (std::string mismatch = ZipArchive::crcMismatch(entry, bytes.value()); !mismatch.empty())
            doc.findings.push_back({Severity::Unknown, mismatch});
        auto parsed = unpickle(reinterpret_cast<const uint8_t*>(bytes.value().data()), bytes.value().size(), *doc.arena,
                               entry.method == 0 ? entry.dataOffset : 0);
        if (!parsed) {
            doc.findings.push_back({Severity::Unknown, "record '" + name + "' does not parse as a pickle (" +
                                                           parsed.error().detail + "); its imports are not known"});
            continue;
        }
        recordGlobals(doc, parsed.value().globals, "in record " + name);
        roots.push_back(parsed.value().root);
        const auto& replaced = parsed.value().replacedStates;
        replacedStates.insert(replacedStates.end(), replaced.begin(), replaced.end());
    }
}

void scanTorchScriptCode(Checkpoint& doc, const ZipArchive& zip)
{
    struct Call {
        const char* text; // as TorchScript's printer writes it
        const char* module;
        const char* name;
    };
    static const Call kFileCalls[] = {
        {"torch.from_file(", "torch", "from_file"},
        {"ops.aten.from_file(", "torch", "from_file"},
        {"torch.load(", "torch", "load"},
        {"torch.save(", "torch", "save"},
        {"ops.aten.save(", "torch", "save"},
        {"torch.jit.load(", "torch.jit", "load"},
        {"ops.aten._load_for_mobile(", "torch.jit", "load"},
    };
    size_t files = 0;
    for (const ZipEntry& entry : zip.entries()) {
        const std::string& name = entry.name;
        if (name.find("/code/") == std::string::npos || name.size() < 3 || name.compare(name.size() - 3, 3, ".py") != 0)
            continue;
        ++files;
        if (entry.uncompressedSize > limits::kMaxInflatedRecordBytes) continue; // read() refuses it anyway
        std::string storage;
        auto bytes = zip.read(entry, storage);
        if (!bytes) continue;
        std::string_view code = bytes.value();
        std::vector<GlobalSeen> seen;
        for (const Call& call : kFileCalls)
            for (size_t at = code.find(call.text); at != std::string_view::npos; at = code.find(call.text, at + 1))
                seen.push_back({call.module, call.name, entry.dataOffset + at});
        if (!seen.empty()) recordGlobals(doc, seen, "in code record " + name);
    }
    if (files > 0)
        doc.findings.push_back({Severity::Unknown, "TorchScript archive with " + std::to_string(files) +
                                                       " code files: torch.load hands it to torch.jit.load, which "
                                                       "compiles and runs them (searched for calls that reach files)"});
}

} // namespace ckpt

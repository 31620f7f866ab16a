// libFuzzer target: structure-aware. Most inputs are choices for torchgen.h's generator, which writes torch zips
// and pickles built from rebuild calls, memo references, cycles, shared children, nested loader payloads and
// random dtypes and views; an input that already is a file (a zip or a pickle: the seeds from the fixtures and
// ../shared/corpus/wild/files) is used as it is. Either way the file goes the whole way a user's file goes:
// loadCheckpoint (sniffing, zip, unpickler, interpretTorchGraph, the security scan), every accessor a view uses,
// the JSON emitters of `ckpt tree --json` / `scan --json`, and the exporter (torch zip or safetensors, sometimes
// with --drop-dangerous or --state-dict-only), whose verified output is opened and walked again.
#include <cstdint>
#include <cstdlib>
#include <string>

#include <unistd.h>

#include "core/edit/exporter.h"
#include "core/format/loader.h"
#include "core/model/checkpointjson.h"
#include "fuzzinput.h"
#include "torchgen.h"

namespace
{

using namespace ckpt;

bool looksLikeFile(const uint8_t* data, size_t size)
{
    return (size >= 4 && data[0] == 'P' && data[1] == 'K' && data[2] == 3 && data[3] == 4) ||
           (size >= 2 && data[0] == 0x80 && data[1] <= 5);
}

// As the CLI prints JSON (src/cli/output.cpp): invalid UTF-8 in names is replaced, never thrown.
size_t dump(const nlohmann::json& j)
{
    return j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace).size();
}

uint64_t emitJson(const Checkpoint& doc)
{
    uint64_t n = dump(treeToJson(doc)) + dump(globalsToJson(doc)) + commonWrapperPrefix(doc).size();
    for (const WeightSet& set : doc.weightSets)
        n += dump(weightSetToJson(set));
    for (const TensorInfo& t : doc.tensors)
        n += dump(tensorToJson(doc, t));
    for (const PlainValue& v : doc.values)
        n += dump(valueToJson(v));
    return n;
}

// A folder in memory when there is one: the exporter writes, fsyncs, re-opens and renames a real file.
const std::string& scratchDir()
{
    static const std::string dir = [] {
        std::string base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
        std::string templ = base + "/ckpt-fuzz-XXXXXX";
        if (!mkdtemp(templ.data())) __builtin_trap();
        return templ;
    }();
    return dir;
}

void exportAndReopen(const CheckpointPtr& doc, uint8_t how)
{
    ExportOptions options;
    options.format = (how & 1) ? ExportFormat::Safetensors : ExportFormat::Torch;
    options.dropDangerous = (how & 2) != 0;
    options.stateDictOnly = (how & 4) != 0;
    options.force = true;
    const std::string out = scratchDir() + ((how & 1) ? "/out.safetensors" : "/out.pt");
    Exporter exporter(doc, options);
    (void)exporter.plan();
    auto report = exporter.run(out);
    if (report) {
        volatile size_t sink = dump(report.value().toJson()); // as the CLI prints it: invalid UTF-8 replaced
        (void)sink;
        // The exporter verified its output; opening it again must work and walk cleanly.
        auto again = loadCheckpoint(out);
        if (!again) __builtin_trap();
        volatile uint64_t walked = fuzz::exercise(*again.value()) + emitJson(*again.value());
        (void)walked;
    } else if (report.error().detail.empty()) {
        __builtin_trap(); // every refusal names its cause
    }
    unlink(out.c_str());
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    static fuzz::MemoryFile file;
    std::string path;
    uint8_t how = size ? data[size - 1] : 0;
    if (looksLikeFile(data, size)) {
        path = file.write(data, size);
    } else {
        fuzz::Choices choices(data, size);
        const fuzz::GeneratedFile generated = fuzz::generateCheckpoint(choices);
        path = file.write(generated.bytes.data(), generated.bytes.size());
    }
    auto doc = loadCheckpoint(path);
    if (!doc) {
        if (doc.error().detail.empty()) __builtin_trap(); // a refusal without a cause
        return 0;
    }
    volatile uint64_t sink = fuzz::exercise(*doc.value()) + emitJson(*doc.value());
    (void)sink;
    exportAndReopen(doc.value(), how);
    return 0;
}
